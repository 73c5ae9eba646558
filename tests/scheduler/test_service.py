from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.scheduling import outbound
from bot.settings import Settings
from models.db import Database
from models.scheduling import SchedulerLease
from scheduler import context
from scheduler.runtime import SchedulerService
from scheduler.specs import JobSpec
from services.outgoing import Outbound
from tests.scheduler.conftest import RECORD_POLL, PollRecorder, eventually


def service(database: Database, holder: str, outbound: Outbound | None = None) -> SchedulerService:
    return SchedulerService(
        database, outbound=outbound, holder=holder, retry_seconds=0.1, poll_seconds=0.1
    )


def test_the_leader_resumes_unfinished_rounds_at_start_and_then_every_ten_minutes(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.jobs")
    leader = service(database, "leader", outbound(settings, database))
    leader.start()
    try:
        assert leader.wait_until_leader(3)
        assert eventually(lambda: "running resume_unfinished_rounds" in caplog.text)
        job = leader.scheduler.get_job("collider:rounds:resume")
        assert job.func_ref == "scheduler.jobs:resume_unfinished_rounds"
        assert job.next_run_time - datetime.now(UTC) <= timedelta(minutes=10)
        assert context.current() is leader.context
    finally:
        leader.stop()
    with database.session() as session:
        # Stopping hands leadership over at once instead of waiting for the lease to expire.
        assert session.scalars(select(SchedulerLease)).all() == []


def test_only_the_leader_runs_jobs_and_a_standby_takes_over(
    database: Database, settings: Settings, polls: PollRecorder
) -> None:
    sender = outbound(settings, database)
    first, second = service(database, "first", sender), service(database, "second", sender)
    first.start()
    assert first.wait_until_leader(3)
    second.start()
    try:
        assert not second.wait_until_leader(0.4)
        # Any instance can schedule; the leader notices within its poll interval.
        soon = datetime.now(UTC) + timedelta(seconds=0.2)
        second.schedule(JobSpec.once("collider:poll:1", RECORD_POLL, soon, (1,)))
        assert polls.wait_for(1) == [1]

        first.stop()
        assert second.wait_until_leader(3)
        soon = datetime.now(UTC) + timedelta(seconds=0.2)
        second.schedule(JobSpec.once("collider:poll:2", RECORD_POLL, soon, (2,)))
        assert polls.wait_for(2) == [1, 2]
        assert second.unschedule("collider:poll:2") is False  # ran, so gone
    finally:
        second.stop()
        first.stop()  # stopping twice is harmless
