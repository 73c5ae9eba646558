"""All user-facing text, in English, Finnish and Swedish, formatted per locale with Babel.

Strings live in ``i18n/<lang>/<area>.json`` (one file per area keeps merges small). Keys are
``area.name``; placeholders use ``str.format`` syntax. English is the fallback for a missing
translation at run time, but ``tests/test_i18n.py`` fails when any language lacks a key or a
placeholder differs, so the fallback should never be needed in a release.

A count that changes the words uses the ICU plural form inside the string, with the language's
CLDR categories (``babel.Locale(lang).plural_form``)::

    "{count, plural, one {# answer} other {# answers}}"

``#`` is the number, formatted for the locale. ICU syntax rather than a dict per key because one
sentence may hold several counts ("{people} people in {groups} groups") and a translator should
see the whole sentence; translation tools know the syntax too.

``t`` also formats the other values per locale: a ``float`` or ``Decimal`` with
``babel.numbers.format_decimal`` ("3,5" in fi and sv), a ``date`` or ``datetime`` with
``babel.dates.format_date``. An ``int`` is left as it is, because most are ids, line and round
numbers, where "#1 234" would be wrong; use :func:`format_number` for a quantity that wants grouping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from string import Formatter

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("en", "fi", "sv")
DEFAULT_LANGUAGE = "en"
_ROOT = Path(__file__).parent
_PLURAL_START = re.compile(r"\{\s*([a-z_][a-z0-9_]*)\s*,\s*plural\s*,")
_BRANCH_SELECTOR = re.compile(r"\s*(=\d+|zero|one|two|few|many|other)\s*\{")


@cache
def catalog(language: str) -> dict[str, str]:
    """Every string of one language, keyed ``area.name``."""
    strings: dict[str, str] = {}
    for path in sorted((_ROOT / language).glob("*.json")):
        area = path.stem
        for name, text in json.loads(path.read_text(encoding="utf-8")).items():
            strings[f"{area}.{name}"] = text
    return strings


def normalize_language(value: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
    """Map a Slack locale (``fi-FI``, ``sv-SE``, ``en-US``) or a code to one of LANGUAGES."""
    if value:
        code = value.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    return fallback


@cache
def locale(language: str) -> Locale:
    return Locale.parse(normalize_language(language))


def plural_categories(language: str) -> frozenset[str]:
    """The CLDR plural categories a plural string in ``language`` must offer."""
    return frozenset(locale(language).plural_form.tags | {"other"})


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text for ``key`` in ``language``, with ``params`` filled in and formatted per locale."""
    language = normalize_language(language)
    text = catalog(language).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE)[key]
    if not params:
        return text
    text = _expand_plurals(text, params, language)
    return text.format(**{name: _localized(value, language) for name, value in params.items()})


def format_number(value: float | int | Decimal, language: str, places: int | None = None) -> str:
    """A number as the locale writes it: ``3,5`` and ``12 345`` in fi; fixed ``places`` if given."""
    pattern = None if places is None else "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(value, format=pattern, locale=locale(language))


def format_day(value: date, language: str) -> str:
    """A calendar day as the locale writes it: ``Mar 14, 2025``, ``14.3.2025``, ``14 mars 2025``."""
    return format_date(value, format="medium", locale=locale(language))


def placeholders(text: str) -> set[str]:
    """The parameter names a string uses, plural selectors and names inside branches included."""
    names: set[str] = set()
    for piece in _pieces(text):
        if isinstance(piece, str):
            names |= {field for _, field, _, _ in Formatter().parse(piece) if field}
        else:
            name, branches = piece
            names.add(name)
            for branch in branches.values():
                names |= placeholders(branch)
    return names


def plurals(text: str) -> dict[str, set[str]]:
    """For each plural selector in ``text``, the categories it offers (``=N`` exact cases aside)."""
    found: dict[str, set[str]] = {}
    for piece in _pieces(text):
        if isinstance(piece, tuple):
            name, branches = piece
            found.setdefault(name, set()).update(c for c in branches if not c.startswith("="))
            for branch in branches.values():
                for inner, categories in plurals(branch).items():
                    found.setdefault(inner, set()).update(categories)
    return found


def _localized(value: object, language: str) -> object:
    if isinstance(value, int):  # bool is an int too
        return value
    if isinstance(value, float | Decimal):
        return format_number(value, language)
    if isinstance(value, date):  # datetime is a date too
        return format_day(value.date() if isinstance(value, datetime) else value, language)
    return value


def _expand_plurals(text: str, params: Mapping[str, object], language: str) -> str:
    out: list[str] = []
    for piece in _pieces(text):
        if isinstance(piece, str):
            out.append(piece)
            continue
        name, branches = piece
        count = _as_number(params.get(name))
        branch = _choose(branches, count, language)
        shown = format_number(count, language) if count is not None else str(params.get(name, ""))
        out.append(_expand_plurals(branch, params, language).replace("#", shown))
    return "".join(out)


def _choose(branches: Mapping[str, str], count: float | None, language: str) -> str:
    if count is None:
        return branches["other"]
    exact = branches.get(f"={count:g}")
    if exact is not None:
        return exact
    category = locale(language).plural_form(count)
    return branches.get(category, branches["other"])


def _as_number(value: object) -> float | int | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value if isinstance(value, int) else float(value)
    try:
        return int(str(value))
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _pieces(text: str) -> list[str | tuple[str, dict[str, str]]]:
    """Split ``text`` into plain runs and ``(selector, {category: branch})`` plural blocks.

    Cached: ``text`` is a catalog string or a branch of one (never a value filled in), and
    every message a sweep renders asks for the same few. Callers do not change the result."""
    pieces: list[str | tuple[str, dict[str, str]]] = []
    position = 0
    for start in _PLURAL_START.finditer(text):
        if start.start() < position:
            continue  # inside a block already consumed
        pieces.append(text[position : start.start()])
        branches, position = _branches(text, start.end())
        pieces.append((start.group(1), branches))
    pieces.append(text[position:])
    return [piece for piece in pieces if piece != ""]


def _branches(text: str, position: int) -> tuple[dict[str, str], int]:
    branches: dict[str, str] = {}
    while (selector := _BRANCH_SELECTOR.match(text, position)) is not None:
        end = _closing_brace(text, selector.end())
        branches[selector.group(1)] = text[selector.end() : end]
        position = end + 1
    closing = re.compile(r"\s*\}").match(text, position)
    if closing is None or "other" not in branches:
        raise ValueError(f"malformed plural block in {text!r}")
    return branches, closing.end()


def _closing_brace(text: str, position: int) -> int:
    depth = 1
    for index in range(position, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced braces in {text!r}")
