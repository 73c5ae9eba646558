"""User text that reached Slack unescaped: what the local Slack looks for in every payload.

Slack parses the top-level ``text`` of a message and every ``mrkdwn`` text object: a raw
``<!channel>`` there pings everyone, a raw ``<https://…|label>`` is a live link. The bot itself
never broadcasts and never links to ``evil.example`` (the tests' canary domain), so seeing either
means some user input skipped :func:`handlers.mrkdwn.escape`. Plain text is not parsed: skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Broadcasts and user groups the bot never sends, and links to the canary domain.
_LIVE = re.compile(r"<!(?:channel|here|everyone|subteam\^)[^>]*>|<https?://evil\.example[^>]*>")


def _formatted_texts(payload: Any) -> Iterator[str]:
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            yield payload["text"]
        for value in payload.values():
            yield from _formatted_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from _formatted_texts(item)


def unescaped_input(params: dict[str, Any]) -> list[str]:
    """Every live broadcast or canary link in a message, a view, or an ack (empty: none)."""
    texts = []
    if isinstance(params.get("text"), str):
        texts.append(params["text"])
    texts += _formatted_texts(params.get("blocks"))
    texts += _formatted_texts(params.get("view"))
    texts += _formatted_texts(params.get("attachments"))
    return [
        f"unescaped user input: {text[max(0, m.start() - 40) : m.end() + 10]!r}"
        for text in texts
        for m in _LIVE.finditer(text)
    ]
