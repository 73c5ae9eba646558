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


def whole_number(value: object, least: int = 0) -> int | None:
    """The whole number ``value`` is (``12``, ``"12"``, ``"#12"``, or a JSON integer) from
    ``least`` to ``LARGEST_ID``; None for anything else: a float, ``1e309``, ``NaN``, ``-3``,
    ``"1_000"``, ``"١٢"`` (digits ``int`` takes but nobody types into a number field)."""
    if isinstance(value, bool):
        return None  # JSON true is no number, though Python counts it as 1
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and is_number(value):
        digits = value.strip().lstrip("#").lstrip("0")
        if len(digits) > _MOST_DIGITS:
            return None
        number = int(digits or "0")
    else:
        return None
    return number if least <= number <= LARGEST_ID else None


def record_id(value: object) -> int | None:
    """The id ``value`` names: a whole number from 1 to ``LARGEST_ID``; None for anything
    else, which names no row."""
    return whole_number(value, least=1)


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
    return carried_number(value, key, field, least=1)


def carried_number(
    value: object, key: str = "errors.bad_request", field: str | None = None, *, least: int = 0
) -> int:
    """A whole number a form's number field or a button carries (a group size, a number of
    days, a group's number): what is out of the service's range is for the service to say;
    anything that is no whole number at all was made by hand, and is refused with ``key``."""
    found = whole_number(value, least)
    if found is None:
        raise InvalidInput(key, field=field)
    return found
