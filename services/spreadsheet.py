"""Cells for CSV files that people open in a spreadsheet."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from services.text import ZERO_WIDTH

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection), also
# in their full-width forms (＝＋－＠), which some spreadsheets fold to the ASCII ones.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Skipped when looking for the first character: a spreadsheet may drop them (zero-width
# characters, spaces) before it decides whether the cell is a formula.
_IGNORED_BEFORE = ZERO_WIDTH + " \u00a0\u3000"


def _first_meaningful(text: str) -> str:
    rest = text.lstrip(_IGNORED_BEFORE)
    if not rest:
        return ""
    # NFKC folds the full-width forms (U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠) to ASCII.
    return unicodedata.normalize("NFKC", rest[0])


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix with ')."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    if text.startswith(FORMULA_START) or _first_meaningful(text).startswith(FORMULA_START):
        return "'" + text
    return text
