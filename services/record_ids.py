"""Ids read from what people type (``/collider stage 12``) and from what buttons and forms carry.

One parser for every id, so that a number no row can have (0, or past the INTEGER the database
holds: ``models.base.LARGEST_ID``) is what it is, an id of nothing, and never reaches a query:
there SQLite raises ``OverflowError`` and PostgreSQL ``NumericValueOutOfRange``, which people
would hear as our own failure. Typed, such a number is not found; carried by a button, it was
crafted, and is a bad request.
"""

from __future__ import annotations

from models.base import LARGEST_ID
from services.errors import DomainError, InvalidInput

# More digits than LARGEST_ID has cannot fit (and are not handed to int(), which refuses
# thousands of digits with a ValueError of its own).
_MOST_DIGITS = len(str(LARGEST_ID))


def is_number(text: str) -> bool:
    """Whether ``text`` is written as a whole number: ``12`` or ``#12``, ASCII digits only
    (``str.isdigit`` alone also takes ``²``, which ``int`` refuses)."""
    digits = text.strip().lstrip("#")
    return digits.isascii() and digits.isdigit()


def record_id(value: object) -> int | None:
    """The id ``value`` names (``12``, ``"12"``, ``"#12"``, or a JSON integer): a whole number
    from 1 to ``LARGEST_ID``; None for anything else, which names no row."""
    if isinstance(value, bool):
        return None  # JSON true is no id, though Python counts it as 1
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and is_number(value):
        digits = value.strip().lstrip("#").lstrip("0")
        if len(digits) > _MOST_DIGITS:
            return None
        number = int(digits or "0")
    else:
        return None
    return number if 1 <= number <= LARGEST_ID else None


def typed_id(text: str, *, usage: DomainError, not_found: DomainError) -> int:
    """The id someone typed: ``usage`` when it is no number at all, ``not_found`` when it is a
    number no row can have (as for one that no row has)."""
    if not is_number(text):
        raise usage
    found = record_id(text)
    if found is None:
        raise not_found
    return found


def carried_id(value: object, key: str = "errors.bad_request", field: str | None = None) -> int:
    """An id (or a page number) the bot wrote into a button value, an option or a form's
    metadata: anything else was made by hand, and is refused with ``key`` (under ``field``)."""
    found = record_id(value)
    if found is None:
        raise InvalidInput(key, field=field)
    return found
