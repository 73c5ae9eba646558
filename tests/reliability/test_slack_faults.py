"""Slack misbehaving: a fifth of Web API calls answer 429 or 500 or stall past the client's
timeout. Nothing is lost and every intro arrives exactly once, possibly after a few resumes."""

from __future__ import annotations

import time

import pytest

from bot.local_slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models import Round, RoundStatus, StepState
from models.db import Database
from services.round_runner import resume_unfinished
from tests.reliability.seeding import marked, seed_confirmed_round, tanks_of

CLIENT_TIMEOUT = 1  # seconds; a stall of STALL outlives it
STALL = 1.5


def resume_until_complete(
    database: Database, gateway: SlackGateway, attempts: int = 25
) -> list[str]:
    """What production's resume sweep does, minutes apart; here a stall apart, so a call that
    timed out has landed (or not) before the next runner asks Slack about it."""
    statuses: list[str] = []
    for _ in range(attempts):
        outcomes = resume_unfinished(database, gateway)
        statuses += [outcome.status for outcome in outcomes]
        if not outcomes:
            return statuses
        time.sleep(STALL + 0.2)
    raise AssertionError(f"round not complete after {attempts} runs: {statuses}")


@pytest.mark.parametrize("seed", [4, 5])
def test_round_of_30_under_chaos_sends_each_intro_exactly_once(
    database: Database, slack: LocalSlack, settings: Settings, seed: int
) -> None:
    round_id = seed_confirmed_round(database, slack, people=30)
    slack.chaos(rate=0.2, seed=seed, stall=STALL)
    gateway = SlackGateway(
        make_web_client(settings, timeout=CLIENT_TIMEOUT), SlackPacer(speedup=1000)
    )

    statuses = resume_until_complete(database, gateway)
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
