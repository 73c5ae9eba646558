"""Themes end to end: facilitators open and close them; ideas are attached to open ones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea, Theme, ThemeStatus
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of

FACILITATOR = "UFACIL"  # in the test settings' COLLIDER_FACILITATORS
TODAY = date.today()


def open_theme(driver: SlackDriver, title: str, user: str = FACILITATOR, **dates: date) -> dict:
    view = driver.command_view("/collider", "theme open", user=user)
    values = {
        ids.THEME_FIELDS["title"]: title,
        ids.THEME_FIELDS["description"]: "Goal 3 of the city strategy",
        ids.THEME_FIELDS["opens_on"]: dates.get("opens_on", TODAY).isoformat(),
    }
    if "closes_on" in dates:
        values[ids.THEME_FIELDS["closes_on"]] = dates["closes_on"].isoformat()
    return response_json(driver.submit(view, values, user=user))


def stored_themes(database: Database) -> list[Theme]:
    with database.session() as session:
        return list(session.scalars(select(Theme).order_by(Theme.id)))


def test_facilitator_opens_a_theme_and_everyone_sees_it(
    driver: SlackDriver, database: Database
) -> None:
    answer = open_theme(driver, "Carbon-neutral Vaasa", closes_on=TODAY + timedelta(days=30))
    assert answer["response_action"] == "update"
    assert "Carbon-neutral Vaasa" in text_of(answer["view"])
    [theme] = stored_themes(database)
    assert theme.status is ThemeStatus.OPEN and theme.opens_on == TODAY
    listing = text_of(response_json(driver.command("/collider", "themes", user="U001")))
    assert "Carbon-neutral Vaasa" in listing and "(open)" in listing


def test_non_facilitator_is_refused_politely(
    driver: SlackDriver, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    answer = text_of(response_json(driver.command("/collider", "theme open", user="U001")))
    assert "only facilitators" in answer
    assert slack.calls_to("views.open") == []
    assert "refused facilitator action" in caplog.text


def test_workspace_admin_counts_as_facilitator(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user("UADMIN", "admin", is_admin=True)
    assert (
        driver.command_view("/collider", "theme open", user="UADMIN")["callback_id"]
        == ids.THEME_MODAL
    )


def test_crafted_theme_submission_by_a_participant_is_refused(
    driver: SlackDriver, database: Database
) -> None:
    view = driver.command_view("/collider", "theme open", user=FACILITATOR)
    answer = response_json(driver.submit(view, {ids.THEME_FIELDS["title"]: "Mine"}, user="U001"))
    assert answer["response_action"] == "errors"
    assert stored_themes(database) == []


def test_closing_before_opening_is_refused_in_place(
    driver: SlackDriver, database: Database
) -> None:
    answer = open_theme(driver, "Backwards", closes_on=TODAY - timedelta(days=1))
    assert answer["response_action"] == "errors"
    assert ids.THEME_FIELDS["closes_on"] in answer["errors"]
    assert stored_themes(database) == []


def test_idea_form_offers_open_themes_and_attaches_the_idea(
    driver: SlackDriver, database: Database
) -> None:
    open_theme(driver, "Open now")
    open_theme(driver, "Not yet", opens_on=TODAY + timedelta(days=7))
    open_now, not_yet = stored_themes(database)
    view = driver.command_view("/idea", "", user="U001")
    [select_block] = [b for b in view["blocks"] if b["block_id"] == ids.IDEA_FIELDS["theme_id"]]
    offered = [option["text"]["text"] for option in select_block["element"]["options"]]
    assert offered == ["Open now"]
    driver.submit(
        view,
        {
            ids.IDEA_FIELDS["body"]: "Solar panels on school roofs",
            ids.IDEA_FIELDS["theme_id"]: {"option": str(open_now.id)},
        },
        user="U001",
    )
    with database.session() as session:
        idea = session.scalars(select(Idea)).one()
        assert idea.theme_id == open_now.id
    listing = text_of(response_json(driver.command("/ideas", user="U002")))
    assert "Theme: Open now" in listing


def test_crafted_idea_for_a_theme_not_open_is_refused(
    driver: SlackDriver, database: Database
) -> None:
    open_theme(driver, "Open now")
    open_theme(driver, "Not yet", opens_on=TODAY + timedelta(days=7))
    _, not_yet = stored_themes(database)
    view = driver.command_view("/idea", "", user="U001")
    answer = response_json(
        driver.submit(
            view,
            {
                ids.IDEA_FIELDS["body"]: "Sneaky",
                ids.IDEA_FIELDS["theme_id"]: {"option": str(not_yet.id)},
            },
            user="U001",
        )
    )
    assert answer["response_action"] == "errors"
    assert ids.IDEA_FIELDS["theme_id"] in answer["errors"]
    with database.session() as session:
        assert session.scalars(select(Idea)).all() == []


def test_closed_theme_is_no_longer_offered(driver: SlackDriver, database: Database) -> None:
    open_theme(driver, "Short campaign")
    [theme] = stored_themes(database)
    closed = text_of(
        response_json(driver.command("/collider", f"theme close {theme.id}", user=FACILITATOR))
    )
    assert "Closed the theme" in closed
    view = driver.command_view("/idea", "", user="U001")
    assert ids.IDEA_FIELDS["theme_id"] not in [b.get("block_id") for b in view["blocks"]]
    listing = text_of(response_json(driver.command("/collider", "themes")))
    assert "(closed)" in listing


def test_closing_an_unknown_theme_says_so(driver: SlackDriver) -> None:
    shown = text_of(response_json(driver.command("/collider", "theme close 999", user=FACILITATOR)))
    assert "no theme #999" in shown
