"""Slack misbehaving: a fifth of Web API calls answer 429 or 500 or stall past the client's
timeout. Nothing is lost and every intro arrives exactly once, possibly after a few resumes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers import ids
from models import Idea, Round, RoundStatus, StepState
from models.db import Database
from services.round_runner import resume_unfinished
from tests.reliability.seeding import marked, seed_confirmed_round, tanks_of
from tests.slack_driver import SlackDriver, response_json

CLIENT_TIMEOUT = 1  # seconds; a stall of STALL outlives it
STALL = 1.5


def resume_until_complete(
    database: Database, settings: Settings, gateway: SlackGateway, attempts: int = 25
) -> list[str]:
    """What production's resume sweep does, minutes apart; here a stall apart, so a call that
    timed out has landed (or not) before the next runner asks Slack about it."""
    statuses: list[str] = []
    for _ in range(attempts):
        outcomes = resume_unfinished(outbound(settings, database, gateway))
        statuses += [outcome.status for outcome in outcomes]
        if not outcomes:
            return statuses
        time.sleep(STALL + 0.2)
    raise AssertionError(f"round not complete after {attempts} runs: {statuses}")


@pytest.fixture
def short_timeout_form(
    settings: Settings, database: Database, slack: LocalSlack
) -> Iterator[tuple[SlackDriver, dict[str, Any]]]:
    """A driver whose app gives up on Slack after CLIENT_TIMEOUT, and an idea form it opened."""
    client = make_web_client(settings, timeout=CLIENT_TIMEOUT)
    workers = ThreadPoolExecutor(2, thread_name_prefix="test-work")
    listeners = ThreadPoolExecutor(4, thread_name_prefix="test-listener")
    app = create_app(
        settings,
        database,
        client=client,
        pacer=SlackPacer(speedup=1000),
        listener_executor=listeners,
        worker_executor=workers,
    )
    driver = SlackDriver(app, slack, settings.slack_signing_secret or "")
    driver.command("/idea", "", user="U001")
    yield driver, driver.last_opened_view()
    listeners.shutdown(wait=True)
    workers.shutdown(wait=True)


@pytest.mark.parametrize("seed", [4, 5])
def test_round_of_30_under_chaos_sends_each_intro_exactly_once(
    database: Database, slack: LocalSlack, settings: Settings, seed: int
) -> None:
    round_id = seed_confirmed_round(database, slack, people=30)
    slack.chaos(rate=0.2, seed=seed, stall=STALL)
    gateway = SlackGateway(
        make_web_client(settings, timeout=CLIENT_TIMEOUT), SlackPacer(speedup=1000)
    )

    statuses = resume_until_complete(database, settings, gateway)
    faults = slack.calm()

    assert statuses[-1] == "completed"
    tanks = tanks_of(database, round_id)
    assert len(tanks) == 10
    assert {(tank.conversation_state, tank.intro_state) for tank in tanks} == {
        (StepState.DONE, StepState.DONE)
    }
    # One message per think tank, in that tank's own conversation, however often it was tried.
    intros = marked(slack, "collider-intro-")
    assert sorted(intros) == sorted(f"collider-intro-{tank.id}" for tank in tanks)
    assert set(intros.values()) == {1}
    for tank in tanks:
        [message] = [
            m
            for m in slack.history[tank.conversation_id or ""]
            if "collider-intro" in str(m.get("metadata"))
        ]
        assert message["ts"] == tank.intro_ts
    assert len({tank.conversation_id for tank in tanks}) == 10
    with database.session() as session:
        assert session.get(Round, round_id).status is RoundStatus.COMPLETED  # type: ignore[union-attr]
    # The chaos did bite: every kind of fault happened, and the run stopped at least once.
    assert set(faults) == {"429", "500", "stall"}
    assert "interrupted" in statuses


def test_ideas_from_modals_under_chaos_are_stored_once_and_confirmed_or_reported(
    database: Database,
    slack: LocalSlack,
    short_timeout_form: tuple[SlackDriver, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver, modal = short_timeout_form
    slack.chaos(rate=0.2, seed=3, stall=STALL)
    caplog.set_level(logging.INFO)

    texts = [f"Chaos idea {number}: a lending library for tools" for number in range(24)]
    for number, text in enumerate(texts):
        answer = driver.submit(
            modal, {ids.IDEA_FIELDS["body"]: text}, user=f"U{number % 4:03d}", view_id=f"V{number}"
        )
        assert answer.status == 200 and answer.body == ""  # closed: the idea is stored
    # A retried submission (Slack resends when our ack was slow) stores nothing new.
    driver.submit(modal, {ids.IDEA_FIELDS["body"]: texts[0]}, user="U000", view_id="V0")

    with database.session() as session:
        stored = dict(session.execute(select(Idea.body, func.count()).group_by(Idea.body)).all())
    assert stored == {text: 1 for text in texts}

    def confirmed() -> set[str]:
        return {
            text
            for call in slack.calls
            if call.method in ("chat.postEphemeral", "chat.postMessage")
            and (call.result or {}).get("ok")
            for text in texts
            if text.split(":")[0] + ":" in str(call.params)
        }

    # Confirmations are sent after the ack; each one arrives, or its failure is logged.
    deadline = time.monotonic() + 4 * STALL + 5
    while time.monotonic() < deadline:
        unconfirmed = set(texts) - confirmed()
        if len(unconfirmed) <= caplog.text.count("could not confirm"):
            break
        time.sleep(0.1)
    faults = slack.calm()
    assert len(set(texts) - confirmed()) <= caplog.text.count("could not confirm")
    assert sum(faults.values()) > 0
    assert "Traceback" not in "".join(
        str(call.params) for call in slack.calls if call.method.startswith("chat.")
    )


def test_failed_confirmation_never_loses_the_idea(
    database: Database,
    slack: LocalSlack,
    short_timeout_form: tuple[SlackDriver, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver, modal = short_timeout_form
    # The ephemeral confirmation stalls past the timeout, the DM fallback answers 500s.
    slack.fail("chat.postEphemeral", delay=STALL)
    slack.fail("chat.postMessage", status=500, times=3)
    answer = driver.submit(modal, {ids.IDEA_FIELDS["body"]: "Tool library"}, user="U001")
    assert response_json(answer) == {} if answer.body else answer.status == 200
    with database.session() as session:
        assert session.scalars(select(Idea.body)).all() == ["Tool library"]
    deadline = time.monotonic() + STALL + 5  # the confirmation is tried after the ack
    while "could not confirm" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "could not confirm to U001: internal_error" in caplog.text
    assert "failed to handle" not in caplog.text  # handled, not an unexpected error
