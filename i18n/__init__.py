"""All user-facing text, in English, Finnish and Swedish.

Strings live in ``i18n/<lang>/<area>.json`` (one file per area keeps merges small). Keys are
``area.name``; placeholders use ``str.format`` syntax. English is the fallback for a missing
translation at run time, but ``tests/test_i18n.py`` fails when any language lacks a key or a
placeholder differs, so the fallback should never be needed in a release.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Formatter

LANGUAGES: tuple[str, ...] = ("en", "fi", "sv")
DEFAULT_LANGUAGE = "en"
_ROOT = Path(__file__).parent


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


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text for ``key`` in ``language``, with ``params`` filled in."""
    text = catalog(normalize_language(language)).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE)[key]
    return text.format(**params) if params else text


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field}
