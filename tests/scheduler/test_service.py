from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models.db import Database
from models.scheduling import SchedulerLease
from scheduler import context, jobs
from scheduler.runtime import SchedulerService
from scheduler.specs import JobSpec
from tests.scheduler.conftest import PollRecorder, eventually


def service(database: Database, holder: str) -> SchedulerService:
    return SchedulerService(database, holder=holder, retry_seconds=0.1, poll_seconds=0.1)


@pytest.fixture
def resumes() -> Iterator[list[str]]:
    seen: list[str] = []
    jobs.register_job_handler(
        jobs.RESUME_UNFINISHED_ROUNDS, lambda job_context: seen.append(job_context.holder)
    )
    yield seen
    jobs.unregister_job_handler(jobs.RESUME_UNFINISHED_ROUNDS)


def test_the_leader_resumes_unfinished_rounds_at_start_and_then_every_ten_minutes(
    database: Database, resumes: list[str]
) -> None:
    leader = service(database, "leader")
    leader.start()
    try:
        assert leader.wait_until_leader(3)
        assert eventually(lambda: resumes == ["leader"])
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
    database: Database, polls: PollRecorder
) -> None:
    first, second = service(database, "first"), service(database, "second")
    first.start()
    assert first.wait_until_leader(3)
    second.start()
    try:
        assert not second.wait_until_leader(0.4)
        # Any instance can schedule; the leader notices within its poll interval.
        soon = datetime.now(UTC) + timedelta(seconds=0.2)
        second.schedule(JobSpec.once("collider:poll:1", "scheduler.jobs:send_poll", soon, (1,)))
        assert polls.wait_for(1) == [1]

        first.stop()
        assert second.wait_until_leader(3)
        soon = datetime.now(UTC) + timedelta(seconds=0.2)
        second.schedule(JobSpec.once("collider:poll:2", "scheduler.jobs:send_poll", soon, (2,)))
        assert polls.wait_for(2) == [1, 2]
        assert second.unschedule("collider:poll:2") is False  # ran, so gone
    finally:
        second.stop()
        first.stop()  # stopping twice is harmless
