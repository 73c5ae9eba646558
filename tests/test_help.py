"""``/collider help`` names every subcommand the app has, and nothing it lacks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import handlers
from i18n import LANGUAGES, t
from tests.slack_driver import SlackDriver, response_json, text_of

# Subcommands that take a verb: every verb the listener accepts must be in the help.
VERBS = {
    "poll": {"send", "new"},
    "theme": {"open", "close"},
    "facilitator": {"add", "remove"},
    "schedule": {"every", "off"},
    "report": {"round", "tank", "theme"},
}
_SEGMENT = re.compile(r"`([^`]+)`")


def subcommand_table() -> set[str]:
    """The keys of the ``/collider`` subcommand table, as the handlers register them
    (``deps.subcommands.update({...})`` or ``... = {...}`` named like ``*SUBCOMMANDS``)."""
    names: set[str] = set()
    for path in Path(handlers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            table = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if (
                    node.func.attr == "update"
                    and isinstance(owner, ast.Attribute)
                    and owner.attr == "subcommands"
                    and node.args
                ):
                    table = node.args[0]
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id.endswith("SUBCOMMANDS") for t in targets):
                    table = node.value
            if isinstance(table, ast.Dict):
                names |= {k.value for k in table.keys if isinstance(k, ast.Constant)}
    return names


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


def test_the_table_is_found() -> None:
    # If the handlers change how they register subcommands, update subcommand_table().
    assert {"help", "poll", "report", "theme", "unavoid"} <= subcommand_table()


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_lists_every_subcommand_and_no_other(language: str) -> None:
    listed = {words[0] for words in help_segments(language)}
    assert listed == subcommand_table()


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_lists_every_verb(language: str) -> None:
    segments = help_segments(language)
    for name, verbs in VERBS.items():
        shown = {word for words in segments if words[0] == name for word in words[1:]}
        assert verbs <= shown, (name, verbs - shown)


def test_the_app_answers_help_with_it(driver: SlackDriver) -> None:
    answer = response_json(driver.command("/collider", "help"))
    assert "`poll send`" in text_of(answer) and "`unavoid @person`" in text_of(answer)
