"""The pipeline end to end: facilitators move ideas, authors are told, reports and App Home."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from handlers import ids
from models import Idea, IdeaStage, Stage
from models.db import Database
from services.delivery import Status
from services.pipeline_workflow import stage_notice_key, tell_author
from tests.handlers.test_privacy import set_profile
from tests.slack_driver import SlackDriver, response_json, text_of

FACILITATOR = "UFACIL"


def only_idea(database: Database) -> Idea:
    with database.session() as session:
        return session.scalars(select(Idea)).one()


def move(driver: SlackDriver, idea_id: int, stage: str, note: str = "", user: str = FACILITATOR):
    view = driver.command_view("/collider", f"stage {idea_id}", user=user)
    values = {ids.STAGE_FIELDS["stage"]: {"option": stage}, ids.STAGE_FIELDS["note"]: note}
    return response_json(driver.submit(view, values, user=user))


def test_facilitator_moves_an_idea_and_the_author_is_told_in_their_language(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user("UAUTHOR", "aino", locale="fi-FI")
    driver.command("/idea", "Kirjastoon työkalulainaamo", user="UAUTHOR")
    idea = only_idea(database)
    answer = move(driver, idea.id, "think_tank", "Ryhmä <@U9> aloittaa maanantaina")
    assert answer["response_action"] == "update"
    [dm] = slack.wait_for("chat.postMessage")
    assert dm["channel"] == slack.dm_channel("UAUTHOR")
    shown = text_of(dm)
    assert "Ajatushautomo" in shown and "Kirjastoon" in shown
    assert "<@U9>" not in text_of(dm, formatted_only=True)
    with database.session() as session:
        [change] = session.scalars(select(IdeaStage)).all()
        assert change.stage is Stage.THINK_TANK and change.note.startswith("Ryhmä")
        assert session.get(Idea, idea.id).stage is Stage.THINK_TANK


def test_a_failed_dm_keeps_the_move(
    driver: SlackDriver, database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    driver.command("/idea", "Something", user="UAUTHOR")
    slack.fail("chat.postMessage", error="channel_not_found")
    move(driver, only_idea(database).id, "pilot")
    slack.wait_for("chat.postMessage")
    assert only_idea(database).stage is Stage.PILOT


def test_the_author_is_told_once_per_move_however_often_the_notice_runs(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    driver.command("/idea", "Kirjastoon työkalulainaamo", user="UAUTHOR")
    move(driver, only_idea(database).id, "pilot")
    [dm] = slack.wait_for("chat.postMessage")
    with database.session() as session:
        change_id = session.scalars(select(IdeaStage.id)).one()
    assert dm["metadata"]["event_payload"]["marker"] == stage_notice_key(change_id)
    # The work after the ack run once more (a retry, a second process): nothing is sent again.
    again = tell_author(outbound(settings, database), change_id)
    assert again is not None and again.status is Status.ALREADY_SENT
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_participants_cannot_move_ideas(driver: SlackDriver, database: Database) -> None:
    driver.command("/idea", "Mine", user="U001")
    idea = only_idea(database)
    refused = text_of(response_json(driver.command("/collider", f"stage {idea.id}", user="U001")))
    assert "only facilitators" in refused
    view = driver.command_view("/collider", f"stage {idea.id}", user=FACILITATOR)
    crafted = response_json(
        driver.submit(view, {ids.STAGE_FIELDS["stage"]: {"option": "adopted"}}, user="U001")
    )
    assert crafted["response_action"] == "errors"
    assert only_idea(database).stage is Stage.IDEA


def test_bad_stage_input_is_refused_in_place(driver: SlackDriver, database: Database) -> None:
    driver.command("/idea", "Mine", user="U001")
    idea = only_idea(database)
    same = move(driver, idea.id, "idea")
    assert same["response_action"] == "errors"
    unknown = move(driver, idea.id, "teleported")
    assert unknown["response_action"] == "errors"
    long_note = move(driver, idea.id, "pilot", "x" * 501)
    assert "501" in str(long_note["errors"])
    missing = text_of(response_json(driver.command("/collider", "stage 999", user=FACILITATOR)))
    assert "no longer exists" in missing
    usage = text_of(response_json(driver.command("/collider", "stage", user=FACILITATOR)))
    assert "/collider stage 12" in usage


def test_report_counts_stages_participants_and_organisations(
    driver: SlackDriver, database: Database
) -> None:
    set_profile(driver, "UA", "City of Vaasa")
    set_profile(driver, "UB", "city of vaasa")
    set_profile(driver, "UC", "Wärtsilä")
    for user, text in (("UA", "One"), ("UA", "Two"), ("UB", "Three"), ("UC", "Four")):
        driver.command("/idea", text, user=user)
    driver.command("/idea", "No organisation", user="UD")
    with database.session() as session:
        first = session.scalar(select(Idea.id).where(Idea.body == "One"))
    move(driver, first, "experiment")
    shown = text_of(response_json(driver.command("/collider", "report", user=FACILITATOR)))
    assert "Idea: 4" in shown and "Experiment: 1" in shown and "Adopted: 0" in shown
    assert "5 ideas and needs from 4 participants in 2 organisations" in shown
    refused = text_of(response_json(driver.command("/collider", "report", user="UA")))
    assert "only facilitators" in refused


def test_app_home_shows_my_ideas_pipeline_and_settings(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    driver.command("/idea", "Tool library", user="U001")
    driver.command("/idea", "Not mine", user="U002")
    move(driver, only_idea_of(database, "Tool library"), "pilot")
    driver.event({"type": "app_home_opened", "user": "U001", "channel": "D1", "tab": "home"})
    [published] = slack.wait_for("views.publish")
    assert published["user_id"] == "U001"
    shown = text_of(published["view"])
    assert "Tool library" in shown and "Pilot since" in shown and "Not mine" not in shown
    assert "2 ideas and needs from 2 participants" in shown
    opened = len(slack.calls_to("views.open"))
    driver.click(ids.HOME_PROFILE, "profile", user="U001")
    assert slack.wait_for("views.open", opened + 1)[-1]["view"]["callback_id"] == ids.PROFILE_MODAL


def test_a_profile_form_slack_will_not_open_from_app_home_is_logged(
    driver: SlackDriver, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail("views.open", error="expired_trigger_id")
    # A click in the Home tab: its container is the view, and Slack sends no response URL.
    home = {"id": "VHOME", "type": "home", "blocks": []}
    driver.click(ids.HOME_PROFILE, "profile", user="U001", view=home)
    slack.wait_for("views.open")
    deadline = time.monotonic() + 5
    while "views.open failed: expired_trigger_id" not in caplog.text:
        assert time.monotonic() < deadline, "the refusal was not logged"
        time.sleep(0.02)
    assert slack.calls_to("response_url") == []


def test_messages_tab_does_not_publish(driver: SlackDriver, slack: LocalSlack) -> None:
    driver.event({"type": "app_home_opened", "user": "U001", "channel": "D1", "tab": "messages"})
    assert slack.calls_to("views.publish") == []


def only_idea_of(database: Database, body: str) -> int:
    with database.session() as session:
        return session.scalar(select(Idea.id).where(Idea.body == body))
