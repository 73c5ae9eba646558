"""What each person of the console's workspace has in Slack: DMs, group DMs, channel messages
and their App Home, kept per person so that nothing the bot sends to someone else is lost.

The console shows the acting person what reaches them at once; everyone else's messages wait
here until ``as NAME`` then ``inbox``, with their buttons still pressable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Posted:
    """One message (or an App Home) as it sits in the Slack of the people it reached."""

    heading: str
    channel: str
    content: dict[str, Any]
    home: bool = False
    seen_by: set[str] = field(default_factory=set)

    @property
    def ts(self) -> str | None:
        value = self.content.get("ts")
        return str(value) if value else None


class Inboxes:
    """Per person, the messages that reached them, oldest first (one App Home each)."""

    def __init__(self) -> None:
        self._by_person: dict[str, list[Posted]] = defaultdict(list)

    def deliver(self, entry: Posted, people: Iterable[str]) -> None:
        for person in people:
            entries = self._by_person[person]
            if entry.home:
                entries[:] = [old for old in entries if not old.home]
            entries.append(entry)

    def of(self, person: str) -> list[Posted]:
        # The App Home last: it is a place, not a message in the timeline.
        entries = self._by_person.get(person, [])
        return [e for e in entries if not e.home] + [e for e in entries if e.home]

    def unread(self, person: str) -> int:
        return sum(person not in entry.seen_by for entry in self._by_person.get(person, []))

    def find(self, channel: str, ts: str | None) -> Posted | None:
        for entries in self._by_person.values():
            for entry in entries:
                if entry.channel == channel and ts and entry.ts == ts:
                    return entry
        return None

    def remove(self, entry: Posted) -> None:
        for entries in self._by_person.values():
            entries[:] = [old for old in entries if old is not entry]
