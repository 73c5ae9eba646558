"""Attack: one database serves several workspaces (an org-wide Enterprise Grid install sends
requests with each workspace's own ``team_id``; the CLI's ``--team`` and the team-scoped
rounds, polls, goals and reports are built for that). Ideas, themes and suggestions of one
workspace must never reach another."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select

from bot.local.slack import LocalSlack
from models import Idea, PendingSuggestion, Theme
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of

OTHER_TEAM = "T0OTHER"
SECRET_IDEA = "Tool library for residents: lend drills, ladders and saws from the public library"


def command_in(driver: SlackDriver, team: str, command: str, text: str, user: str):
    fields = dict(parse_qsl(driver.command_body(command, text, user=user)))
    fields["team_id"] = team
    return driver.send(urlencode(fields))


def swept(database: Database, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with database.session() as session:
            if not session.scalars(select(PendingSuggestion.idea_id)).first():
                return
        assert time.monotonic() < deadline, "suggestions still pending"
        time.sleep(0.01)


def test_ideas_of_another_workspace_are_not_listed(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    command_in(driver, OTHER_TEAM, "/idea", SECRET_IDEA, user="UOTHER1")
    swept(database)
    answer = response_json(driver.command("/ideas", "", user="U001"))
    assert "Tool library" not in text_of(answer), "another workspace's idea is listed"


def test_similar_ideas_of_another_workspace_are_not_suggested(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    command_in(driver, OTHER_TEAM, "/idea", SECRET_IDEA, user="UOTHER1")
    swept(database)
    driver.command("/idea", "A library where residents can borrow drills and ladders", user="U002")
    swept(database)
    shown = [text_of(call) for call in slack.calls_to("response_url")]
    assert not any("Tool library" in text for text in shown), (
        "another workspace's idea (title and author) was suggested as similar"
    )


def test_a_facilitator_cannot_close_another_workspaces_theme(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    with database.session() as session:
        session.add(Theme(title="Other city's secret challenge", opens_on=date(2026, 1, 1)))
    with database.session() as session:
        theme_id = session.scalars(select(Theme.id)).one()
    # UFACIL is a facilitator of T0LOCAL only; the theme was opened in another workspace
    # (themes have no team at all, so every workspace shares one list).
    answer = response_json(driver.command("/collider", "themes", user="U001"))
    assert "secret challenge" not in text_of(answer), "another workspace's theme is listed"
    driver.command("/collider", f"theme close {theme_id}", user="UFACIL")
    with database.session() as session:
        assert session.get(Theme, theme_id).status.value == "open"


def test_a_facilitator_cannot_move_another_workspaces_idea(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    command_in(driver, OTHER_TEAM, "/idea", SECRET_IDEA, user="UOTHER1")
    swept(database)
    with database.session() as session:
        idea_id = session.scalars(select(Idea.id)).one()
    view = driver.command_view("/collider", f"stage {idea_id}", user="UFACIL")
    assert "Tool library" not in text_of(view), "another workspace's idea is shown"
