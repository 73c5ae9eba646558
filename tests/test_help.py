"""``/collider help`` names every subcommand the app has, and nothing it lacks."""

from __future__ import annotations

import re

import pytest
from slack_bolt import App

from i18n import LANGUAGES, t
from tests.slack_driver import SlackDriver, response_json, text_of

# Subcommands that take a verb: every verb the listener accepts must be in the help.
VERBS = {
    "poll": {"send", "new"},
    "theme": {"open", "close"},
    "facilitator": {"add", "remove"},
    "schedule": {"every", "off"},
    "report": {"round", "tank", "theme", "programme"},
    "goal": {"add", "list", "remove", "theme"},
}
_SEGMENT = re.compile(r"`([^`]+)`")


def subcommand_table(app: App) -> set[str]:
    """The ``/collider`` subcommands the app really answers: the names its listeners' matchers
    carry (``handlers.listening.subcommand``); "" (the bare command) left out."""
    names: set[str] = set()
    for listener in app._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            names |= set(getattr(func, "subcommand_names", ()))
    return names - {""}


def help_segments(language: str) -> list[list[str]]:
    """Each backticked command of the help, as words (``/collider`` dropped; other slash
    commands left out)."""
    segments = []
    for segment in _SEGMENT.findall(t("help.text", language, limit=3000)):
        words = [word for word in re.split(r"[\s|\[\]]+", segment) if word]
        if words[0] == "/collider":
            words = words[1:]
        if words and not words[0].startswith("/"):
            segments.append(words)
    return segments


def test_the_table_is_found(driver: SlackDriver) -> None:
    # If the handlers change how they register subcommands, update subcommand_table().
    assert {"help", "poll", "report", "theme", "unavoid"} <= subcommand_table(driver.app)


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_lists_every_subcommand_and_no_other(driver: SlackDriver, language: str) -> None:
    listed = {words[0] for words in help_segments(language)}
    assert listed == subcommand_table(driver.app)


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_lists_every_verb(language: str) -> None:
    segments = help_segments(language)
    for name, verbs in VERBS.items():
        shown = {word for words in segments if words[0] == name for word in words[1:]}
        assert verbs <= shown, (name, verbs - shown)


def test_the_app_answers_help_with_it(driver: SlackDriver) -> None:
    answer = response_json(driver.command("/collider", "help"))
    assert "`poll send`" in text_of(answer) and "`unavoid @person`" in text_of(answer)
