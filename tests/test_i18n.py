"""The catalogue is complete: every key in every language, the same placeholders, no blanks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog, normalize_language, placeholders, t

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers", "services", "models", "scheduler")
# t("area.key", ...) with a literal key; keys built at run time are covered by the tests that
# render them.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")
ERROR_KEY = re.compile(
    r"""(?:InvalidInput|NotAllowed|NotFound|DomainError)\(\s*["']([a-z_.0-9]+)["']"""
)


def all_keys() -> set[str]:
    return set().union(*(catalog(language) for language in LANGUAGES))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_exists_in_every_language(language: str) -> None:
    missing = sorted(all_keys() - set(catalog(language)))
    assert missing == [], f"{language} lacks {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_empty_strings(language: str) -> None:
    empty = sorted(key for key, text in catalog(language).items() if not text.strip())
    assert empty == []


def test_placeholders_are_the_same_in_every_language() -> None:
    english = catalog("en")
    differing = {
        (key, language): placeholders(catalog(language)[key])
        for language in LANGUAGES
        for key in english
        if key in catalog(language)
        and placeholders(catalog(language)[key]) != placeholders(english[key])
    }
    assert differing == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_formats_with_its_placeholders(language: str) -> None:
    for text in catalog(language).values():
        text.format(**dict.fromkeys(placeholders(text), "x"))  # raises on a broken brace


def test_every_key_the_code_uses_exists() -> None:
    used: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            used |= set(LITERAL_KEY.findall(source)) | set(ERROR_KEY.findall(source))
    assert used, "the scan found no keys at all: the pattern is broken"
    assert sorted(used - set(catalog(DEFAULT_LANGUAGE))) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fi-FI", "fi"),
        ("sv-SE", "sv"),
        ("sv_FI", "sv"),
        ("en-US", "en"),
        ("EN-gb", "en"),
        (" fi ", "fi"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
        ("finnish", "en"),
    ],
)
def test_normalize_language(value: str | None, expected: str) -> None:
    assert normalize_language(value) == expected


def test_normalize_language_uses_the_given_fallback() -> None:
    assert normalize_language("de-DE", "sv") == "sv"
    assert normalize_language(None, "fi") == "fi"


def test_t_fills_placeholders_and_follows_the_language() -> None:
    assert "3000" in t("errors.empty", "fi", limit=3000)
    assert t("common.save", "fi-FI") == catalog("fi")["common.save"]
    assert t("common.save", "sv") != t("common.save", "en")
