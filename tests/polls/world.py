"""A workspace with think tanks for poll tests: people, a completed round, a sweep to run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.local.slack import TEAM_ID, LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models import Round, RoundStatus, StepState, ThinkTank, ThinkTankMember
from models.db import Database
from scheduler.runtime import SchedulerService
from services import participants
from services.poll_workflow import SweepResult, run_poll_sweep

FACILITATOR = "UFACIL"
# The sweeps run on a clock the tests set; clicks are handled at the real time. Think tanks
# start 15 days before now, so the first poll (day 14 to 21) is open for real clicks.
START = (datetime.now(UTC) - timedelta(days=15)).replace(microsecond=0)


def make_round(
    database: Database, slack: LocalSlack, groups: list[list[str]], *, theme_id: int | None = None
) -> tuple[int, list[int]]:
    """A completed round whose think tanks (one per list of user ids) started at START."""
    slack.add_user(FACILITATOR, "fasi")
    with database.session() as session:
        round_ = Round(
            team_id=TEAM_ID,
            status=RoundStatus.COMPLETED,
            created_by=FACILITATOR,
            confirmed_by=FACILITATOR,
            parameters={"theme_id": theme_id} if theme_id else {},
        )
        session.add(round_)
        session.flush()
        for number, users in enumerate(groups, start=1):
            tank = ThinkTank(
                round_id=round_.id,
                number=number,
                language="en",
                conversation_id=f"G{round_.id}{number}",
                conversation_state=StepState.DONE,
                intro_state=StepState.DONE,
                started_at=START,
            )
            session.add(tank)
            session.flush()
            for user_id in users:
                if user_id not in slack.users:
                    slack.add_user(user_id, user_id.lower())
                person = participants.ensure_participant(
                    session, participants.SlackUser(TEAM_ID, user_id)
                )
                session.flush()
                session.add(
                    ThinkTankMember(
                        round_id=round_.id, think_tank_id=tank.id, participant_id=person.id
                    )
                )
        session.flush()
        return round_.id, [tank.id for tank in round_.think_tanks]


def gateway(settings: Settings) -> SlackGateway:
    return SlackGateway(make_web_client(settings, timeout=2), SlackPacer(speedup=1000))


@contextmanager
def leading_scheduler(database: Database, settings: Settings) -> Iterator[SchedulerService]:
    """The real scheduler service, started and leading (its run-at-start jobs are under way)."""
    service = SchedulerService(
        database,
        outbound=outbound(settings, database, gateway(settings)),
        holder="test",
        retry_seconds=0.1,
        poll_seconds=0.1,
    )
    service.start()
    try:
        assert service.wait_until_leader(3)
        yield service
    finally:
        service.stop()


def sweep(database: Database, settings: Settings, now: datetime) -> SweepResult:
    """One sweep as a freshly started process would run it: its own engine and gateway."""
    fresh = Database(database.url)
    try:
        return run_poll_sweep(outbound(settings, fresh, gateway(settings)).held_by("test"), now)
    finally:
        fresh.dispose()


def poll_messages(slack: LocalSlack) -> list[dict[str, Any]]:
    """Poll messages posted (not reminders or notices): they carry answer buttons or a header."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if any(block.get("type") == "header" for block in call.get("blocks") or [])
        and "poll_" in json.dumps(call.get("blocks"))
    ]


def dm_of(slack: LocalSlack, user_id: str) -> str:
    return slack._dm(user_id)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            found += block["elements"]
    return found


def answer_button(message: dict[str, Any], question: str, value: str) -> dict[str, Any]:
    for button in buttons(message):
        if button["action_id"].endswith(f":{question}:{value}"):
            return button
    raise AssertionError(f"no button {question}={value}")


def after(days: float) -> datetime:
    return START + timedelta(days=days)
