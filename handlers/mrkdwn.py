"""Safe text for Slack's mrkdwn and Block Kit limits."""

from __future__ import annotations

import re

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Escape user text so ``<!channel>``, ``<@U1>`` and ``<url|label>`` stay literal text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cut_escaped(escaped: str, limit: int) -> str:
    if len(escaped) <= limit:
        return escaped
    return _PARTIAL_ENTITY.sub("", escaped[: limit - 1]).rstrip() + "…"


def fit(markdown: str, limit: int) -> str:
    """Text already escaped, cut to ``limit`` with "…" (never mid-entity): what Slack shows.

    The one place long texts are shortened; the database keeps them whole.
    """
    return _cut_escaped(markdown, limit)


def escape_within(text: str, limit: int) -> str:
    """Escaped text no longer than ``limit`` (escaping can lengthen it), never cut mid-entity."""
    return _cut_escaped(escape(text), limit)


def quote(text: str, limit: int = 2500) -> str:
    """User text as an escaped mrkdwn block quote that fits in ``limit`` characters."""
    lines = escape(text).splitlines() or [""]
    return _cut_escaped("\n".join("&gt; " + line for line in lines), limit)


def as_written(text: str, limit: int) -> str:
    """User text for a file, not mrkdwn: whole and unescaped (``limit`` is for mrkdwn only).
    Stands in for ``escape_within`` where a builder writes both a message and a file."""
    return text
