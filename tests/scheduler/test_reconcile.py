from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from models.db import Database
from scheduler.runtime import CollideScheduler, build_scheduler
from scheduler.specs import JobSpec, reconcile

LATER = datetime(2040, 1, 1, 9, tzinfo=UTC)


@pytest.fixture
def scheduler(database: Database) -> Iterator[CollideScheduler]:
    # Paused: jobs go to the store, nothing runs.
    scheduler = build_scheduler(database)
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def poll(poll_id: int, at: datetime = LATER) -> JobSpec:
    return JobSpec.once(f"collider:poll:{poll_id}", "scheduler.jobs:send_poll", at, (poll_id,))


def test_reconcile_adds_keeps_replaces_and_removes_only_our_jobs(
    scheduler: CollideScheduler,
) -> None:
    weekly = JobSpec.every(
        "collider:schedule:1", "scheduler.jobs:send_poll", timedelta(weeks=2), (1,)
    )
    first = reconcile(scheduler, [poll(1), poll(2), weekly])
    assert sorted(first.added) == ["collider:poll:1", "collider:poll:2", "collider:schedule:1"]
    scheduler.add_job("scheduler.jobs:send_poll", "date", run_date=LATER, args=[9], id="other:9")
    weekly_next = scheduler.get_job("collider:schedule:1").next_run_time

    second = reconcile(scheduler, [poll(1, LATER + timedelta(hours=1)), weekly])
    assert second.replaced == ["collider:poll:1"]
    assert second.kept == ["collider:schedule:1"]
    assert second.removed == ["collider:poll:2"]
    stored = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(stored) == ["collider:poll:1", "collider:schedule:1", "other:9"]
    assert stored["collider:poll:1"].next_run_time == LATER + timedelta(hours=1)
    # Untouched, so a run missed while we were down is not pushed into the future.
    assert stored["collider:schedule:1"].next_run_time == weekly_next
    assert stored["collider:schedule:1"].func_ref == "scheduler.jobs:send_poll"
    assert stored["collider:schedule:1"].misfire_grace_time == 6 * 3600


def test_job_specs_refuse_what_cannot_be_stored_safely() -> None:
    with pytest.raises(ValueError, match="must start with"):
        JobSpec.once("poll:1", "scheduler.jobs:send_poll", LATER)
    with pytest.raises(ValueError, match="module:function"):
        JobSpec.once("collider:poll:1", "send_poll", LATER)
    with pytest.raises(ValueError, match="ints or strings"):
        JobSpec.once("collider:poll:1", "scheduler.jobs:send_poll", LATER, (object(),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        JobSpec.once("collider:poll:1", "scheduler.jobs:send_poll", datetime(2040, 1, 1))


def test_one_id_cannot_be_wanted_twice(scheduler: CollideScheduler) -> None:
    with pytest.raises(ValueError, match="wanted twice"):
        reconcile(scheduler, [poll(1), poll(1)])
    assert scheduler.get_jobs() == []
