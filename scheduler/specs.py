"""Which jobs should exist, and making the job store agree with that at start.

The domain tables (match schedules, planned polls) are the truth; the job store is a cache of
them that must survive restarts. At start, and whenever an instance becomes the leader,
``reconcile`` adds what is wanted and missing, replaces what changed, removes our jobs that are
no longer wanted, and leaves unchanged jobs alone: re-adding an unchanged interval job would
recompute its next run from *now* and lose a run missed during downtime.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

# Every job we manage has an id under this prefix; reconcile touches nothing else.
JOB_PREFIX = "collider:"
# A poll or round step due during a long outage still goes out when we are back, within a day's
# working hours; older than this it is skipped (and logged) rather than sent stale.
DEFAULT_GRACE_SECONDS = 6 * 3600
# Interval jobs count from a fixed anchor, so their fire times do not move with restarts.
INTERVAL_ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
RESUME_ROUNDS_EVERY = timedelta(minutes=10)

Primitive = int | str


@dataclass(frozen=True)
class JobSpec:
    """One wanted job: a deterministic id, a text reference to a job function, primitive args."""

    id: str
    func: str
    trigger: BaseTrigger
    args: tuple[Primitive, ...] = ()
    name: str | None = None
    misfire_grace_time: int = DEFAULT_GRACE_SECONDS
    coalesce: bool = True
    # Run once as soon as an instance becomes the leader (e.g. resume work cut off by a crash).
    run_at_start: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not self.id.startswith(JOB_PREFIX):
            raise ValueError(f"job id {self.id!r} must start with {JOB_PREFIX!r}")
        module, _, function = self.func.partition(":")
        if not module or not function:
            raise ValueError(f"job function {self.func!r} must be a 'module:function' reference")
        # Jobs are pickled into the database: ids only, never objects.
        bad = [arg for arg in self.args if type(arg) not in (int, str)]
        if bad:
            raise ValueError(f"job {self.id!r} arguments must be ints or strings, not {bad!r}")

    @classmethod
    def once(
        cls, id: str, func: str, at: datetime, args: tuple[Primitive, ...] = (), **options: Any
    ) -> JobSpec:
        if at.tzinfo is None:
            raise ValueError("give the run time as a timezone-aware datetime")
        return cls(id, func, DateTrigger(run_date=at, timezone=UTC), args, **options)

    @classmethod
    def every(
        cls,
        id: str,
        func: str,
        interval: timedelta,
        args: tuple[Primitive, ...] = (),
        *,
        start: datetime = INTERVAL_ANCHOR,
        **options: Any,
    ) -> JobSpec:
        trigger = IntervalTrigger(seconds=interval.total_seconds(), start_date=start, timezone=UTC)
        return cls(id, func, trigger, args, **options)

    def matches(self, job: Job) -> bool:
        """True when the stored ``job`` already is this spec (its next run time aside)."""
        return (
            job.func_ref == self.func
            and tuple(job.args) == self.args
            and not job.kwargs
            and job.name == (self.name or self.id)
            and job.misfire_grace_time == self.misfire_grace_time
            and job.coalesce == self.coalesce
            and type(job.trigger) is type(self.trigger)
            and job.trigger.__getstate__() == self.trigger.__getstate__()
        )


@dataclass
class ReconcileReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def add_spec(scheduler: BaseScheduler, spec: JobSpec) -> Job:
    """Add the job ``spec`` describes, replacing a stored job with the same id."""
    return scheduler.add_job(
        spec.func,
        trigger=spec.trigger,
        args=list(spec.args),
        id=spec.id,
        name=spec.name or spec.id,
        misfire_grace_time=spec.misfire_grace_time,
        coalesce=spec.coalesce,
        max_instances=1,
        replace_existing=True,
    )


def reconcile(
    scheduler: BaseScheduler, wanted: Iterable[JobSpec], *, prefix: str = JOB_PREFIX
) -> ReconcileReport:
    """Make the scheduler's stored jobs under ``prefix`` exactly ``wanted``."""
    report = ReconcileReport()
    wanted_by_id: dict[str, JobSpec] = {}
    for spec in wanted:
        if spec.id in wanted_by_id:
            raise ValueError(f"job id {spec.id!r} is wanted twice")
        wanted_by_id[spec.id] = spec
    stored = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(prefix)}

    for job_id in sorted(stored.keys() - wanted_by_id.keys()):
        scheduler.remove_job(job_id)
        report.removed.append(job_id)

    now = datetime.now(UTC)
    for job_id, spec in wanted_by_id.items():
        existing = stored.get(job_id)
        if existing is not None and spec.matches(existing):
            report.kept.append(job_id)
            job = existing
        else:
            job = add_spec(scheduler, spec)
            (report.replaced if existing is not None else report.added).append(job_id)
        if spec.run_at_start:
            job.modify(next_run_time=now)
    logger.info(
        "scheduler jobs reconciled: %d added, %d replaced, %d kept, %d removed",
        len(report.added),
        len(report.replaced),
        len(report.kept),
        len(report.removed),
    )
    return report


SCHEDULE_SWEEP_EVERY = timedelta(minutes=5)
POLL_SWEEP_EVERY = timedelta(minutes=5)
HOUSEKEEPING_EVERY = timedelta(days=1)
# Experiments end on a date: looking once an hour asks on the day.
EXPERIMENT_RESULTS_EVERY = timedelta(hours=1)
# Invitations are retried 1, 2, 4 ... 60 minutes apart: a sweep every 5 minutes keeps up.
EVALUATION_SWEEP_EVERY = timedelta(minutes=5)


def configured_jobs(session: Session | None = None) -> list[JobSpec]:
    """Every job the bot wants. The domain tables are the schedule (due match schedules, polls
    to plan, open, remind and close), so a few sweeps cover them and a missed run loses nothing:
    the next sweep catches up."""
    return [
        JobSpec.every(
            f"{JOB_PREFIX}rounds:resume",
            "scheduler.jobs:resume_unfinished_rounds",
            RESUME_ROUNDS_EVERY,
            run_at_start=True,
        ),
        JobSpec.every(
            f"{JOB_PREFIX}schedules:due",
            "scheduler.jobs:run_due_match_schedules",
            SCHEDULE_SWEEP_EVERY,
            run_at_start=True,
        ),
        JobSpec.every(
            f"{JOB_PREFIX}polls:sweep",
            "scheduler.jobs:run_poll_sweep",
            POLL_SWEEP_EVERY,
            run_at_start=True,
        ),
        JobSpec.every(
            f"{JOB_PREFIX}housekeeping:requests",
            "scheduler.jobs:forget_handled_requests",
            HOUSEKEEPING_EVERY,
        ),
        JobSpec.every(
            f"{JOB_PREFIX}experiments:results",
            "scheduler.jobs:ask_experiment_results",
            EXPERIMENT_RESULTS_EVERY,
            run_at_start=True,
        ),
        JobSpec.every(
            f"{JOB_PREFIX}evaluations:sweep",
            "scheduler.jobs:run_evaluation_sweep",
            EVALUATION_SWEEP_EVERY,
            run_at_start=True,
        ),
    ]
