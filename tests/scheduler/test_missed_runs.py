"""A run that falls due while no scheduler is running goes out once after the restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger

from models.db import Database
from models.scheduling import SendState
from models.sends import send_state
from scheduler.runtime import build_scheduler
from scheduler.specs import JobSpec, reconcile
from tests.scheduler.conftest import RECORD_POLL, PollRecorder

FAST = 0.1  # seconds between looks at the store, to keep the tests short


def restart(database: Database, seconds: float):  # type: ignore[no-untyped-def]
    """Run a fresh scheduler on the stored jobs for ``seconds``, as a restarted process would."""
    scheduler = build_scheduler(database, poll_seconds=FAST)
    scheduler.start()
    time.sleep(seconds)
    jobs = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=True)
    return jobs


def test_a_poll_due_during_downtime_is_sent_once_after_restart(
    database: Database, polls: PollRecorder
) -> None:
    due = datetime.now(UTC) + timedelta(seconds=0.4)
    before = build_scheduler(database, poll_seconds=FAST)
    before.start()
    reconcile(before, [JobSpec.once("collider:poll:7", RECORD_POLL, due, (7,))])
    before.shutdown(wait=True)  # the process stops before the poll is due
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.2)
    assert polls.runs == []

    left = restart(database, 0.6)
    assert polls.runs == [7]
    assert left == {}  # a one-off job is gone once it ran
    restart(database, 0.3)
    assert polls.runs == [7]
    with database.session() as session:
        assert send_state(session, "poll:7") == SendState.SENT


def test_many_missed_runs_of_a_repeating_job_are_run_once(
    database: Database, polls: PollRecorder
) -> None:
    # The store as a process leaves it when it stopped five hours before now, with an hourly
    # job that was due then: five runs were missed.
    now = datetime.now(UTC)
    stopped = build_scheduler(database)
    stopped.start(paused=True)
    stopped.add_job(
        RECORD_POLL,
        IntervalTrigger(hours=1, start_date=now - timedelta(hours=5, seconds=1), timezone=UTC),
        args=[8],
        id="collider:poll:8",
        next_run_time=now - timedelta(hours=5, seconds=1),
    )
    stopped.shutdown(wait=False)

    left = restart(database, 0.5)
    assert polls.runs == [8]
    assert now < left["collider:poll:8"] <= now + timedelta(hours=1)
    restart(database, 0.3)
    assert polls.runs == [8]


def test_a_run_missed_by_more_than_the_grace_time_is_skipped(
    database: Database, polls: PollRecorder
) -> None:
    stopped = build_scheduler(database)
    stopped.start(paused=True)
    stale = datetime.now(UTC) - timedelta(hours=7)
    reconcile(stopped, [JobSpec.once("collider:poll:9", RECORD_POLL, stale, (9,))])
    stopped.shutdown(wait=False)

    assert restart(database, 0.4) == {}
    assert polls.runs == []
