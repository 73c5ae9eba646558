"""Requests that must be refused: replays, forged or stale signatures, facilitator actions
crafted by a participant. Each is refused and logged, and no secret reaches the logs."""

from __future__ import annotations

import json
import logging
import time

import pytest
from sqlalchemy import func, select

from bot.http import CollideWsgi
from bot.local.slack import TEAM_ID, LocalSlack
from bot.settings import Settings
from handlers import ids
from models import Idea, Round, RoundStatus
from models.db import Database
from services import matchmaking
from services.participants import SlackUser
from tests.reliability.seeding import FACILITATOR, seed_confirmed_round
from tests.reliability.wsgi_driver import WsgiDriver
from tests.slack_driver import SlackDriver, response_json, text_of


def ideas(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Idea)) or 0)


def test_replayed_request_is_stored_once_and_a_late_replay_refused(
    driver: SlackDriver, database: Database
) -> None:
    before = ideas(database)  # counts, not totals: other modules' servers share the database
    body = driver.command_body("/idea", "Replayed idea", user="U001", trigger_id="T.replay")
    first = driver.send(body)
    again = driver.send(body)  # within Slack's 5 minutes: an honest retry, or a replay
    late = driver.send(body, timestamp=int(time.time()) - 301)
    assert "Saved your idea" in text_of(response_json(first))
    assert "Already saved" in text_of(response_json(again))
    assert late.status == 401
    assert ideas(database) == before + 1


def test_forged_signatures_are_refused_and_logged(
    driver: SlackDriver, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    http = WsgiDriver(CollideWsgi(driver.app, database), driver)
    before = ideas(database)
    body = driver.command_body("/idea", "Forged", user="U001")
    forged = [
        {"x-slack-signature": "v0=" + "0" * 64},
        {"x-slack-signature": ""},
        {"x-slack-request-timestamp": "not-a-number"},
    ]
    for headers in forged:
        answer = http.send(body, headers=headers)
        assert (answer.status, "Traceback" in answer.body) == (401, False)
    assert ideas(database) == before
    assert "failed to handle" not in caplog.text
    assert caplog.text.count("refused a request without a valid signature timestamp") == 1


def test_crafted_facilitator_actions_by_a_participant_are_refused_and_logged(
    driver: SlackDriver, database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    seed_confirmed_round(database, slack, people=6)  # people with ideas, and a finished round
    with database.session() as session:
        facilitator = SlackUser(TEAM_ID, FACILITATOR)
        preview = matchmaking.create_preview(
            session, facilitator, matchmaking.RoundSettings(min_size=3, max_size=3)
        )
        ref = json.dumps({"r": preview.id, "v": preview.version, "n": 1})
    actions = [
        ids.ROUND_CONFIRM,
        ids.ROUND_RERUN,
        ids.ROUND_LOCK,
        ids.ROUND_DISCARD,
        ids.ROUND_MOVE,
    ]
    for action in actions:
        driver.click(action, ref, user="U0001")
    replies = slack.wait_for("response_url", len(actions))  # each is told why, after the ack
    assert all("only facilitators" in text_of(reply).lower() for reply in replies)
    assert caplog.text.count("refused facilitator action") >= len(actions)
    with database.session() as session:
        stored = session.get(Round, preview.id)
        assert stored is not None
        assert (stored.status, stored.version) == (RoundStatus.PREVIEW, preview.version)
    assert slack.calls_to("views.open") == []  # no move form for them either


# Answering someone else's poll is covered in tests/polls/test_poll_lifecycle.py
# (test_planned_poll_due_in_downtime_goes_out_once_then_answers_reminders_and_close, "A crafted
# payload"): a person the poll was not sent to clicks a real answer button; it is refused with
# "not sent to you", logged as "refused an answer to poll", and nothing is stored. A button's
# value names only the poll, question and answer, never a delivery or a person: whose answer it
# is comes from the signed payload's user, so no crafted id can answer for another member.


def test_no_secret_reaches_the_logs(
    driver: SlackDriver, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    driver.command("/idea", "Secret check", user="U001")
    driver.command("/idea", "", user="U001")
    driver.send(driver.command_body("/idea", "x"), headers={"x-slack-signature": "v0=bad"})
    driver.click("no-such-action", "1", user="U001")
    driver.slack.wait_for("response_url")
    for secret in (settings.slack_bot_token, settings.slack_signing_secret):
        assert secret and secret not in caplog.text
