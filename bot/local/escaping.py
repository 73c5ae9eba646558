"""User text escaped wrongly on its way to Slack: what the local Slack looks for in every payload.

Slack parses the top-level ``text`` of a message and every ``mrkdwn`` text object: a raw
``<!channel>`` there pings everyone, a raw ``<https://…|label>`` is a live link. The bot itself
never broadcasts and never links to ``evil.example`` (the tests' canary domain), so seeing either
means some user input skipped :func:`handlers.mrkdwn.escape`.

``plain_text`` is the other way round: Slack never parses it (it cannot ping) and shows it
literally, so an escaped ``a &amp; b`` there reaches the reader as ``&amp;``. Seeing an entity
in plain text means mrkdwn-escaped text was given to a plain_text object.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Broadcasts and user groups the bot never sends, and links to the canary domain.
_LIVE = re.compile(r"<!(?:channel|here|everyone|subteam\^)[^>]*>|<https?://evil\.example[^>]*>")
# The entities ``handlers.mrkdwn.escape`` writes: in plain text they show as typed.
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
# Where a payload or an ack carries text objects.
_PARTS = ("blocks", "view", "attachments", "options", "option_groups")


def _texts_of(payload: Any, kind: str) -> Iterator[str]:
    if isinstance(payload, dict):
        if payload.get("type") == kind and isinstance(payload.get("text"), str):
            yield payload["text"]
        for value in payload.values():
            yield from _texts_of(value, kind)
    elif isinstance(payload, list):
        for item in payload:
            yield from _texts_of(item, kind)


def _excerpt(text: str, match: re.Match[str]) -> str:
    return repr(text[max(0, match.start() - 40) : match.end() + 10])


def unescaped_input(params: dict[str, Any]) -> list[str]:
    """Every live broadcast or canary link in a message, a view, or an ack (empty: none)."""
    texts = []
    if isinstance(params.get("text"), str):
        texts.append(params["text"])
    texts += [text for part in _PARTS for text in _texts_of(params.get(part), "mrkdwn")]
    return [
        f"unescaped user input: {_excerpt(text, m)}" for text in texts for m in _LIVE.finditer(text)
    ]


def escaped_plain_text(params: dict[str, Any]) -> list[str]:
    """Every ``&amp;``, ``&lt;`` or ``&gt;`` in a plain_text object (empty: none): Slack would
    show the entity itself, not the character."""
    texts = [text for part in _PARTS for text in _texts_of(params.get(part), "plain_text")]
    return [
        f"escaped text in plain_text (shown literally): {_excerpt(text, m)}"
        for text in texts
        for m in _ENTITY.finditer(text)
    ]


def escaping_problems(params: dict[str, Any]) -> list[str]:
    """Both checks: user text live in mrkdwn, or escaped in plain text."""
    return unescaped_input(params) + escaped_plain_text(params)
