"""What the domain needs from a chat platform to carry out a round, and how deliveries fail.

The Slack implementation lives in ``bot/slack_gateway.py``; the domain only sees this protocol,
plain data, and ``DeliveryError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class DeliveryError(Exception):
    """A Slack call failed after the gateway's own retries.

    ``permanent``: trying again will not help (a deactivated user, a missing channel).
    ``user_ids``: the people the failure is about, when known, so the rest can go on.
    """

    def __init__(self, code: str, *, permanent: bool, user_ids: Sequence[str] = ()):
        super().__init__(code)
        self.code = code
        self.permanent = permanent
        self.user_ids = tuple(user_ids)


@dataclass(frozen=True)
class IntroMember:
    user_id: str
    organisation: str | None
    organisation_type: str | None
    idea_title: str | None
    idea_kind: str | None


@dataclass(frozen=True)
class Intro:
    """The first message in a think tank's conversation."""

    think_tank_id: int
    round_id: int
    number: int
    language: str
    members: tuple[IntroMember, ...]
    key_terms: tuple[str, ...]
    first_poll_on: datetime | None = None


@dataclass(frozen=True)
class Unplaced:
    participant_id: int
    user_id: str
    language: str
    reason: str
    round_id: int


@dataclass(frozen=True)
class RoundSummary:
    round_id: int
    language: str
    think_tanks: int
    people: int
    failed_groups: tuple[tuple[int, str], ...] = ()
    unreachable: tuple[tuple[str, str], ...] = ()
    # Names of members who are not in Slack (imported): the facilitator invites them.
    offline: tuple[str, ...] = ()
    notices: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class Messenger(Protocol):
    def open_conversation(self, user_ids: Sequence[str], name: str) -> str:
        """The id of a conversation with exactly these people (idempotent for the same name)."""
        ...

    def find_marked_message(self, channel: str, marker: str) -> str | None:
        """The ts of a message this app posted with ``marker``, if there is one."""
        ...

    def post_intro(self, channel: str, intro: Intro, marker: str) -> str: ...

    def notify_unplaced(self, notice: Unplaced, marker: str) -> str:
        """Send the notice by DM; returns the DM channel id."""
        ...

    def dm_channel(self, user_id: str) -> str: ...

    def report_round(self, user_id: str, summary: RoundSummary) -> None: ...
