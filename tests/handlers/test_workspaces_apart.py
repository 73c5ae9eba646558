"""Attack: one database serves several workspaces (an org-wide Enterprise Grid install sends
requests with each workspace's own ``team_id``; the CLI's ``--team`` and the team-scoped
rounds, polls, goals and reports are built for that). Ideas, themes and suggestions of one
workspace must never reach another."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from handlers import ids
from i18n import t
from models import (
    Idea,
    IdeaCoauthor,
    IdeaKind,
    IdeaLink,
    IdeaStatus,
    Participant,
    Round,
    SimilarSuggestion,
    Stage,
    Theme,
    ThinkTank,
)
from models.base import utcnow
from models.db import Database
from services import (
    charters,
    experiments,
    ideas,
    pipeline,
    poll_reports,
    similar_ideas,
    strategy_goals,
    themes,
)
from services.errors import InvalidInput, NotFound
from services.ideas import IdeaInput
from services.participants import SlackUser
from tests.handlers.test_similar_ideas import swept
from tests.slack_driver import SlackDriver, response_json, text_of

OTHER_TEAM = "T0OTHER"
SECRET_IDEA = "Tool library for residents: lend drills, ladders and saws from the public library"


def command_in(driver: SlackDriver, team: str, command: str, text: str, user: str):
    fields = dict(parse_qsl(driver.command_body(command, text, user=user)))
    fields["team_id"] = team
    return driver.send(urlencode(fields))


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
        session.add(
            Theme(
                team_id=OTHER_TEAM, title="Other city's secret challenge", opens_on=date(2026, 1, 1)
            )
        )
    with database.session() as session:
        theme_id = session.scalars(select(Theme.id)).one()
    # UFACIL is a facilitator of T0LOCAL only; the theme was opened in another workspace.
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
    answer = response_json(driver.command("/collider", f"stage {idea_id}", user="UFACIL"))
    assert "Tool library" not in text_of(answer), "another workspace's idea is shown"
    assert slack.calls_to("views.open") == [], "another workspace's idea is shown in a form"


# -- what else names an idea, a theme or a think tank by id ----------------------------------
LOCAL = SlackUser("T0LOCAL", "U001")
NEIGHBOUR = SlackUser(OTHER_TEAM, "UOTHER1")
TODAY = date.today()


def an_idea(database: Database, user: SlackUser, body: str = SECRET_IDEA, **extra: Any) -> int:
    with database.session() as session:
        data = IdeaInput(kind=IdeaKind.IDEA, body=body, **extra)
        return ideas.submit_idea(session, user, data).idea.id


def a_theme(database: Database, user: SlackUser, title: str) -> int:
    with database.session() as session:
        return themes.open_theme(session, user, themes.ThemeInput(title, "", TODAY)).id


def test_ideas_of_another_workspace_are_not_found_by_search_or_by_turning_pages(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    an_idea(database, NEIGHBOUR)
    an_idea(database, LOCAL, "Our own idea: a lending library for tools")
    found = text_of(response_json(driver.command("/ideas", "tool", user="U001")))
    assert "lending library" in found and "Tool library" not in found
    driver.click(ids.IDEAS_PAGE, json.dumps({"q": "tool", "p": 1}), user="U001")
    [page] = driver.click_replies()
    assert "lending library" in text_of(page) and "Tool library" not in text_of(page)


def test_a_facilitator_hears_not_found_for_another_workspaces_idea_or_theme(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    idea_id = an_idea(database, NEIGHBOUR)
    theme_id = a_theme(database, NEIGHBOUR, "Other city's secret challenge")
    missing = response_json(driver.command("/collider", f"stage {idea_id + 100}", user="UFACIL"))
    foreign = response_json(driver.command("/collider", f"stage {idea_id}", user="UFACIL"))
    assert text_of(foreign) == text_of(missing)
    assert t("errors.idea_not_found", "en") in text_of(foreign)
    closed = response_json(driver.command("/collider", f"theme close {theme_id}", user="UFACIL"))
    assert t("themes.not_found", "en", id=theme_id) in text_of(closed)
    assert slack.calls_to("views.open") == []


def test_another_workspaces_idea_can_be_neither_edited_withdrawn_nor_moved(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    idea_id = an_idea(database, NEIGHBOUR)
    # The same user id in another workspace is another person.
    intruder = SlackUser("T0LOCAL", NEIGHBOUR.user_id)
    with database.session() as session:
        for attempt in (
            lambda: ideas.idea_for_editing(session, intruder, idea_id),
            lambda: ideas.withdraw_idea(session, intruder, idea_id),
            lambda: pipeline.move_idea(session, intruder, idea_id, "pilot", ""),
        ):
            with pytest.raises(NotFound):  # as for an idea that does not exist, not NotAllowed
                attempt()
    with database.session() as session:
        idea = session.get(Idea, idea_id)
        assert idea.status is IdeaStatus.OPEN and idea.stage is Stage.IDEA
    assert "asked for idea" in caplog.text  # crafted: logged


def test_a_crafted_join_or_link_to_another_workspaces_idea_is_refused(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    theirs = an_idea(database, NEIGHBOUR)
    mine = an_idea(database, SlackUser("T0LOCAL", "U002"), "Borrow drills and ladders")
    with database.session() as session:
        # As a shared index recorded it before workspaces were kept apart.
        session.add(SimilarSuggestion(idea_id=mine, suggested_id=theirs))
    for action in (ids.SIMILAR_JOIN, ids.SIMILAR_LINK):
        driver.click(action, json.dumps({"own": mine, "other": theirs}), user="U002")
    replies = driver.click_replies(2)
    assert all(t("errors.idea_not_found", "en") in text_of(reply) for reply in replies)
    with database.session() as session:
        assert session.scalars(select(IdeaCoauthor)).all() == []
        assert session.scalars(select(IdeaLink)).all() == []
        assert session.get(Idea, mine).status is IdeaStatus.OPEN


def test_theme_lists_choices_and_labels_are_the_workspaces_own(database: Database) -> None:
    theirs = a_theme(database, NEIGHBOUR, "Secret challenge")
    mine = a_theme(database, LOCAL, "Our challenge")
    an_idea(database, NEIGHBOUR, theme="secret label")
    with database.session() as session:
        for closed in (False, True):
            choices = themes.theme_choices(session, "T0LOCAL", "", TODAY, closed=closed)
            assert [theme.id for theme in choices.themes] == [mine] and choices.labels == []
        found, labels = themes.themes_named(session, "T0LOCAL")
        assert [theme.id for theme in found] == [mine] and labels == []
        assert themes.find_theme(session, "T0LOCAL", str(theirs)) is None
        assert themes.find_theme(session, "T0LOCAL", "Secret challenge") is None
        assert themes.any_theme(session, "T0NONE") is False
    with database.session() as session, pytest.raises(InvalidInput):
        # A crafted idea form cannot attach another workspace's open theme.
        ideas.submit_idea(session, LOCAL, IdeaInput(kind=IdeaKind.IDEA, body="x", theme_id=theirs))


def test_programme_and_reports_refuse_another_workspaces_theme_and_tank(database: Database) -> None:
    theirs = a_theme(database, NEIGHBOUR, "Secret challenge")
    idea_id = an_idea(database, NEIGHBOUR)
    with database.session() as session:
        goal = strategy_goals.add_goal(session, LOCAL, "Our goal")
        own_round = Round(team_id=OTHER_TEAM, created_by=NEIGHBOUR.user_id)
        tank = ThinkTank(round=own_round, number=1)
        session.add(tank)
        session.flush()
        tank_id, goal_id = tank.id, goal.id
    with database.session() as session:
        with pytest.raises(NotFound):
            strategy_goals.link_theme(session, "T0LOCAL", theirs, goal_id)
        with pytest.raises(NotFound):
            charters.member_of(session, LOCAL, tank_id)
        with pytest.raises(InvalidInput):
            poll_reports.require_scope(session, "T0LOCAL", poll_reports.Scope("theme", str(theirs)))
        summary = pipeline.pipeline_summary(session, "T0LOCAL")
        assert summary.ideas == 0 and summary.participants == 0
        experiment = experiments.start_experiment(
            session, session.get(Idea, idea_id), "T0LOCAL", None
        )
        card = experiments.CardInput(
            title="t", hypothesis="h", measure="m", target="", who="", starts_on="",
            ends_on=TODAY.isoformat(), costs="", theme_id=str(theirs),
        )  # fmt: skip
        with pytest.raises(InvalidInput):
            experiments.fill_card(session, LOCAL, experiment.id, card, facilitator=True)


def test_one_sweep_of_two_workspaces_searches_each_workspaces_own_ideas(
    database: Database,
) -> None:
    theirs = an_idea(database, NEIGHBOUR)
    mine = an_idea(database, LOCAL, "Tool library for residents: lend drills and ladders")
    asking_here = an_idea(database, SlackUser("T0LOCAL", "U002"), SECRET_IDEA)
    asking_there = an_idea(database, SlackUser(OTHER_TEAM, "UOTHER2"), SECRET_IDEA)
    with database.session() as session:
        authors = {i: session.get(Idea, i).author_id for i in (asking_here, asking_there)}
    wanted = [
        similar_ideas.Wanted(asking_here, authors[asking_here], SECRET_IDEA, "T0LOCAL"),
        similar_ideas.Wanted(asking_there, authors[asking_there], SECRET_IDEA, OTHER_TEAM),
    ]
    hits = similar_ideas.search_many(database, wanted)
    assert [i for i, _ in hits[asking_here]] == [mine]
    assert [i for i, _ in hits[asking_there]] == [theirs]
    with database.session() as session:
        found = similar_ideas.suggestions_many(session, wanted, hits)
        assert [s.idea.id for s in found[asking_here]] == [mine]
        assert [s.idea.id for s in similar_ideas.suggestions_for(session, asking_here)] == [mine]


def test_suggestions_for_leaves_out_forgotten_authors(database: Database) -> None:
    an_idea(database, LOCAL, SECRET_IDEA)
    asking = an_idea(database, SlackUser("T0LOCAL", "U002"), SECRET_IDEA + " and more")
    with database.session() as session:
        assert similar_ideas.suggestions_for(session, asking) != []
        author = session.scalars(select(Participant).where(Participant.user_id == "U001")).one()
        author.forgotten_at = utcnow()
    with database.session() as session:
        assert similar_ideas.suggestions_for(session, asking) == []
