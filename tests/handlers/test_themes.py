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
    offered = driver.suggest(view, ids.IDEA_FIELDS["theme"], "")
    assert [option["text"]["text"] for option in offered] == ["No theme", "Open now"]
    driver.submit(
        view,
        {
            ids.IDEA_FIELDS["body"]: "Solar panels on school roofs",
            ids.IDEA_FIELDS["theme"]: {"option": offered[1]["value"]},
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
                ids.IDEA_FIELDS["theme"]: {"option": f"theme:{not_yet.id}"},
            },
            user="U001",
        )
    )
    assert answer["response_action"] == "errors"
    assert ids.IDEA_FIELDS["theme"] in answer["errors"]
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
    assert [o["text"]["text"] for o in driver.suggest(view, ids.IDEA_FIELDS["theme"])] == [
        "No theme"
    ]
    listing = text_of(response_json(driver.command("/collider", "themes")))
    assert "(closed)" in listing


def test_closing_an_unknown_theme_says_so(driver: SlackDriver) -> None:
    shown = text_of(response_json(driver.command("/collider", "theme close 999", user=FACILITATOR)))
    assert "no theme #999" in shown


def test_idea_form_has_one_theme_field_that_searches_and_names_new_themes(
    driver: SlackDriver, database: Database
) -> None:
    open_theme(driver, "Carbon-neutral Vaasa")
    view = driver.command_view("/idea", "", user="U001")
    theme_blocks = [b for b in view["blocks"] if "theme" in b.get("block_id", "")]
    assert [b["element"]["type"] for b in theme_blocks] == ["external_select"]
    assert [o["text"]["text"] for o in driver.suggest(view, ids.IDEA_FIELDS["theme"], "carb")] == [
        "Carbon-neutral Vaasa",
        "New theme: carb",
    ]
    [new] = driver.suggest(view, ids.IDEA_FIELDS["theme"], "Night buses")
    assert new["text"]["text"] == "New theme: Night buses"
    driver.submit(
        view,
        {
            ids.IDEA_FIELDS["body"]: "Buses after midnight",
            ids.IDEA_FIELDS["theme"]: {"option": new["value"]},
        },
        user="U001",
    )
    with database.session() as session:
        idea = session.scalars(select(Idea)).one()
        assert (idea.theme, idea.theme_id) == ("Night buses", None)
    # The label is a theme to the next person, and /collider themes lists it.
    other = driver.command_view("/idea", "", user="U002")
    assert [
        o["text"]["text"] for o in driver.suggest(other, ids.IDEA_FIELDS["theme"], "night")
    ] == ["Night buses", "New theme: night"]
    listing = text_of(response_json(driver.command("/collider", "themes", user="U002")))
    assert "Night buses (1 idea)" in listing and "No themes yet" not in listing


def test_themes_lists_labels_when_no_theme_was_opened(driver: SlackDriver) -> None:
    view = driver.command_view("/idea", "", user="U001")
    [new] = driver.suggest(view, ids.IDEA_FIELDS["theme"], "Libraries")
    driver.submit(
        view,
        {
            ids.IDEA_FIELDS["body"]: "Open on Sundays",
            ids.IDEA_FIELDS["theme"]: {"option": new["value"]},
        },
        user="U001",
    )
    listing = text_of(response_json(driver.command("/collider", "themes", user="U002")))
    assert "No themes yet" not in listing and "Libraries (1 idea)" in listing


def test_editing_an_idea_shows_its_theme_with_more_than_100_open(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    with database.session() as session:
        session.add_all(
            Theme(
                team_id="T0LOCAL",
                title=f"Theme {n:03}",
                description="",
                opens_on=TODAY,
                status=ThemeStatus.OPEN,
            )
            for n in range(105)
        )
    view = driver.command_view("/idea", "", user="U001")
    assert len(driver.suggest(view, ids.IDEA_FIELDS["theme"])) == 100
    [chosen] = driver.suggest(view, ids.IDEA_FIELDS["theme"], "theme 104")
    driver.submit(
        view,
        {
            ids.IDEA_FIELDS["body"]: "Late idea",
            ids.IDEA_FIELDS["theme"]: {"option": chosen["value"]},
        },
        user="U001",
    )
    with database.session() as session:
        idea = session.scalars(select(Idea)).one()
    driver.click(ids.EDIT_IDEA, str(idea.id), user="U001")
    edit = slack.wait_for("views.open", 2)[-1]["view"]
    [field] = [b for b in edit["blocks"] if b["block_id"] == ids.IDEA_FIELDS["theme"]]
    assert field["element"]["initial_option"]["text"]["text"] == "Theme 104"
