"""The one cleaning every stored text goes through: ideas, themes, profiles, poll answers, imports.

Cleaning is linear in the length, and a value far over its limit is refused before any work
that grows with it: an earlier version trimmed with a backtracking regex, so 60,000 spaces took
almost a minute of a worker's time.
"""

from __future__ import annotations

import re

from matching.csv_text import ZERO_WIDTH
from services.errors import InvalidInput

# Control characters (C0, DEL and C1) other than newline, tab and carriage return: PostgreSQL
# rejects NUL in text, and the rest only garble Slack messages and spreadsheets. Carriage
# returns become newlines below.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Zero-width characters: text made only of them looks empty to people, so it counts as empty.
# (Defined with the CSV formula guard, which must see through them too.)
# Every character str.isspace() knows (all below U+3001), plus the zero-width ones: a fixed set
# for str.strip(), which trims in one pass where a regex anchored at the end backtracks.
_TRIM = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + ZERO_WIDTH
# Up to this many times the limit is cleaned and then measured (a pasted text with a few
# thousand trailing spaces still fits); anything longer is refused unread.
RAW_SLACK = 2


def too_long(field: str, limit: int, length: int) -> InvalidInput:
    return InvalidInput("errors.too_long", field=field, limit=limit, length=length)


def clean_text(
    value: str | None, *, field: str = "text", limit: int | None = None, one_line: bool = False
) -> str:
    """``value`` without control characters (\\n and \\t stay) and outer blank space.

    With ``limit``: raises ``InvalidInput("errors.too_long")`` when the cleaned text is longer,
    and before cleaning when the raw value is more than ``RAW_SLACK`` times longer.
    ``one_line`` turns line breaks into spaces (titles, names, labels).
    """
    text = value or ""
    if limit is not None and len(text) > limit * RAW_SLACK:
        raise too_long(field, limit, len(text))
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n").strip(_TRIM)
    if one_line:
        text = text.replace("\n", " ")
    if limit is not None and len(text) > limit:
        raise too_long(field, limit, len(text))
    return text
