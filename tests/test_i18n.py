"""The catalogue is complete (every key in every language, the same placeholders, the plural
categories CLDR asks for, no blanks), and text is formatted per locale."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    catalog,
    format_day,
    format_number,
    normalize_language,
    placeholders,
    plural_categories,
    plurals,
    t,
)

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
def test_every_plural_offers_the_cldr_categories_of_its_language(language: str) -> None:
    required = plural_categories(language)
    wrong = {
        (key, selector): sorted(categories)
        for key, text in catalog(language).items()
        for selector, categories in plurals(text).items()
        if categories != required
    }
    assert wrong == {}, f"{language} plurals need exactly {sorted(required)}"


def test_the_catalogue_has_plurals_at_all() -> None:
    assert sum(bool(plurals(text)) for text in catalog("en").values()) >= 20


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_every_string_formats_with_its_placeholders(language: str, count: int) -> None:
    for key, text in catalog(language).items():
        names = placeholders(text)
        rendered = t(key, language, **dict.fromkeys(names, count)) if names else text
        assert "{" not in rendered.replace("{{", ""), (key, rendered)
        assert ", plural," not in rendered, (key, rendered)


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


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("fi", 1, "(1 vastaus)"),
        ("fi", 2, "(2 vastausta)"),
        ("en", 1, "(1 answer)"),
        ("en", 3, "(3 answers)"),
        ("sv", 1, "(1 svar)"),
        ("en", 1234, "(1,234 answers)"),
        ("fi", 1234, "(1\xa0234 vastausta)"),
    ],
)
def test_a_count_picks_the_plural_form_of_the_language(
    language: str, count: int, expected: str
) -> None:
    assert t("polls.report_group", language, name="A", count=count).endswith(expected)


def test_one_person_is_not_one_people() -> None:
    one = t("polls.failures_header", "en", poll=7, count=1)
    two = t("polls.failures_header", "en", poll=7, count=2)
    assert one.endswith("could not reach 1 person:")
    assert two.endswith("could not reach 2 people:")


def test_several_counts_in_one_sentence_each_pick_their_form() -> None:
    text = t("rounds.summary", "en", round=3, groups=1, people=4)
    assert text.endswith("1 think tank with 4 people.")
    text = t("rounds.summary", "sv", round=3, groups=2, people=1)
    assert text.endswith("2 tankesmedjor med 1 person.")


def test_a_string_count_still_selects_and_a_missing_one_falls_back_to_other() -> None:
    assert t("polls.report_group", "fi", name="A", count="1").endswith("(1 vastaus)")
    assert t("polls.report_group", "en", name="A", count="?").endswith("(? answers)")


@pytest.mark.parametrize(("language", "expected"), [("en", "3.5"), ("fi", "3,5"), ("sv", "3,5")])
def test_decimals_follow_the_locale(language: str, expected: str) -> None:
    assert format_number(3.5, language) == expected
    assert t("rounds.shared_terms", language, terms=3.5).endswith(expected)


def test_fixed_places_are_kept() -> None:
    assert format_number(0.5, "fi", 2) == "0,50"
    assert format_number(2.0, "en", 1) == "2.0"
    assert format_number(1234.5, "en", 0) == "1,234"


def test_ids_stay_plain_integers() -> None:
    assert t("themes.not_found", "en", id=12345) == "There is no theme #12345."


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Mar 14, 2025"), ("fi", "14.3.2025"), ("sv", "14 mars 2025")]
)
def test_dates_follow_the_locale(language: str, expected: str) -> None:
    assert format_day(date(2025, 3, 14), language) == expected
    assert expected in t("rounds.paused", language, date=date(2025, 3, 14))
    assert expected in t("rounds.paused", language, date=datetime(2025, 3, 14, 23, 0))
