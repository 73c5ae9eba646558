"""Data rights end to end: /collider my-data and /collider forget-me."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea, Participant
from models.db import Database
from tests.personal_data_search import traces
from tests.slack_driver import SlackDriver, response_json, text_of

PERSON = "UVIRTANEN"
NAME = "uvirtanen"  # the user_name the driver sends for PERSON
ORGANISATION = "Virtasen Verstas Oy"


def set_profile(driver: SlackDriver, user: str, organisation: str, language: str = "en") -> None:
    driver.submit(
        driver.command_view("/collider", "profile", user=user),
        {
            ids.PROFILE_FIELDS["organisation"]: organisation,
            ids.PROFILE_FIELDS["organisation_type"]: {"option": "company"},
            ids.PROFILE_FIELDS["language"]: {"option": language},
        },
        user=user,
    )


def uploaded_json(slack: LocalSlack) -> dict:
    [complete] = slack.wait_for("files.completeUploadExternal")
    files = (
        complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    )
    return json.loads(slack.uploads[files[0]["id"]])


def test_my_data_arrives_as_a_file_in_a_dm(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user(PERSON, NAME)
    set_profile(driver, PERSON, ORGANISATION)
    driver.command("/idea", "Pyöräkorjaamo Hämeenkadulle", user=PERSON)
    driver.command("/need", "Tiloja iltaisin", user=PERSON)
    driver.command("/idea", "Someone else's idea", user="UOTHER")

    answer = response_json(driver.command("/collider", "my-data", user=PERSON))
    assert "direct message" in text_of(answer)
    data = uploaded_json(slack)
    [opened] = slack.calls_to("conversations.open")
    [complete] = slack.calls_to("files.completeUploadExternal")
    assert opened["users"] == PERSON
    assert complete["channel_id"].startswith("D")
    assert data["participant"]["user_id"] == PERSON
    assert data["participant"]["organisation"] == ORGANISATION
    assert [idea["body"] for idea in data["ideas"]] == [
        "Pyöräkorjaamo Hämeenkadulle",
        "Tiloja iltaisin",
    ]
    assert "Someone else" not in json.dumps(data)


def test_my_data_for_a_stranger_says_nothing_is_held(
    driver: SlackDriver, slack: LocalSlack
) -> None:
    driver.command("/collider", "my-data", user="UNEW")
    [reply] = slack.wait_for("response_url")
    assert "holds no data" in text_of(reply)
    assert slack.calls_to("files.getUploadURLExternal") == []


def test_my_data_upload_failure_is_reported(driver: SlackDriver, slack: LocalSlack) -> None:
    driver.command("/idea", "Something", user=PERSON)
    slack.fail("files.getUploadURLExternal", error="not_allowed_token_type")
    driver.command("/collider", "my-data", user=PERSON)
    [reply] = slack.wait_for("response_url")
    assert "could not send" in text_of(reply)


def test_forget_me_asks_first_and_cancel_keeps_everything(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    driver.command("/idea", "Keep me", user=PERSON)
    prompt = response_json(driver.command("/collider", "forget-me", user=PERSON))
    [button] = [
        element
        for block in prompt["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == ids.FORGET_ME_CONFIRM
    ]
    assert button["confirm"]["title"]["text"]
    driver.click(ids.FORGET_ME_CANCEL, user=PERSON)
    [reply] = slack.wait_for("response_url")
    assert "Nothing was deleted" in text_of(reply)
    assert traces(database, PERSON) != []


def test_forget_me_leaves_no_personal_data_and_keeps_counts(
    driver: SlackDriver,
    database: Database,
    slack: LocalSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.privacy")
    slack.add_user(PERSON, NAME, locale="fi-FI")
    set_profile(driver, PERSON, ORGANISATION, language="fi")
    driver.command("/idea", f"Olen {NAME} yrityksestä {ORGANISATION}", user=PERSON)
    driver.command("/need", "Tarvitsen tiloja", user=PERSON)
    driver.command("/idea", "Others stay", user="UOTHER")
    driver.command("/collider", "theme open", user=PERSON)  # refused: leaves nothing behind
    with database.session() as session:
        first = session.scalar(select(func.min(Idea.id)))
    stage_form = driver.command_view("/collider", f"stage {first}", user="UFACIL")
    driver.submit(
        stage_form,
        {"stage_stage": {"option": "pilot"}, "stage_note": f"{NAME} leads the pilot"},
        user="UFACIL",
    )
    assert traces(database, PERSON, NAME, ORGANISATION)

    driver.click(ids.FORGET_ME_CONFIRM, user=PERSON)
    [reply] = slack.wait_for("response_url")
    assert "Henkilötietosi on poistettu" in text_of(reply)  # in the language they read

    assert traces(database, PERSON, NAME, ORGANISATION) == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 3  # + facilitator
        assert session.scalar(select(func.count()).select_from(Idea)) == 3
        tombstone = session.scalars(
            select(Participant).where(Participant.forgotten_at.is_not(None))
        ).one()
        assert tombstone.user_id.startswith("forgotten-")
        assert tombstone.display_name is None and tombstone.organisation is None
        bodies = sorted(
            session.scalars(select(Idea.body).where(Idea.author_id == tombstone.id)).all()
        )
        assert bodies == ["[removed at the author's request]"] * 2
        assert session.scalar(select(Idea.body).where(Idea.body == "Others stay"))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "handlers.privacy")
    assert "forgot participant" in logged
    assert PERSON not in logged and NAME not in logged.lower()

    listing = text_of(response_json(driver.command("/ideas", user="UOTHER")))
    assert "a former participant" in listing and "forgotten-" not in listing

    driver.click(ids.FORGET_ME_CONFIRM, user=PERSON)
    replies = slack.wait_for("response_url", count=2)
    assert "ei säilytä sinusta mitään" in text_of(replies[-1])
    assert traces(database, PERSON, NAME, ORGANISATION) == []
