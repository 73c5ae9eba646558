"""The scheduler of a process, and the service that lets it run only while it leads.

Every instance (the background process of each ``collider run --http``, each Socket Mode
process, ``collider scheduler``) starts a
``SchedulerService``. All of them start their APScheduler *paused* on the shared job store, so
any of them can add or remove jobs; only the one holding leadership resumes it and runs jobs.
When the leader dies, a standby acquires leadership within ``retry_seconds`` (PostgreSQL) or
once the lease expires (SQLite), reconciles the stored jobs with the configuration, and
resumes; runs that fell due in between are run once (``coalesce``), within
``misfire_grace_time``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING, STATE_STOPPED
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.db import Database
from models.scheduling import apscheduler_jobs
from scheduler import context
from scheduler.leadership import Leadership, default_holder, leadership_for
from scheduler.specs import (
    DEFAULT_GRACE_SECONDS,
    JobSpec,
    ReconcileReport,
    add_spec,
    configured_jobs,
    reconcile,
)
from services.outgoing import Outbound

logger = logging.getLogger(__name__)

# How often the leader looks at the job store even when nothing is due: jobs added by other
# instances (which never wake this one) are seen within this time.
DEFAULT_POLL_SECONDS = 10.0
# How often a standby tries to become the leader, and the leader confirms it still is.
DEFAULT_RETRY_SECONDS = 5.0
JOB_THREADS = 4

WantedJobs = Callable[[Session], list[JobSpec]]


class CollideJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy store on our engine and our Alembic-made table.

    It neither creates the table (Alembic owns the schema) nor disposes the engine at shutdown
    (the engine belongs to the process's ``Database`` and outlives the scheduler).
    """

    def __init__(self, engine: Engine):
        super().__init__(engine=engine, tablename=apscheduler_jobs.name)
        self.jobs_t = apscheduler_jobs

    def start(self, scheduler: Any, alias: str) -> None:
        BaseJobStore.start(self, scheduler, alias)

    def shutdown(self) -> None:
        pass


class CollideScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A BackgroundScheduler that survives database errors and looks at the store regularly."""

    def __init__(self, *, poll_seconds: float = DEFAULT_POLL_SECONDS, **options: Any):
        self.poll_seconds = poll_seconds
        super().__init__(**options)

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            # APScheduler's loop makes one more pass after shutdown(); with the executors shut
            # down, that pass would fail to submit due jobs yet store their next run time,
            # losing them. Nothing is processed once stopped.
            return None
        try:
            wait_seconds: float | None = super()._process_jobs()
        except Exception:  # noqa: BLE001 - an escaping error would silently end the scheduler thread
            # APScheduler only guards get_due_jobs; a failed update_job or get_next_run_time
            # (database restart, a job removed by another instance) would kill its loop.
            logger.exception("scheduler: processing jobs failed; trying again shortly")
            return self.poll_seconds
        if self.state != STATE_RUNNING:
            return wait_seconds
        return self.poll_seconds if wait_seconds is None else min(wait_seconds, self.poll_seconds)


def build_scheduler(
    database: Database,
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    misfire_grace_time: int = DEFAULT_GRACE_SECONDS,
) -> CollideScheduler:
    """A scheduler storing its jobs in the project's database (not started)."""
    return CollideScheduler(
        poll_seconds=poll_seconds,
        jobstores={"default": CollideJobStore(database.engine)},
        executors={"default": ThreadPoolExecutor(JOB_THREADS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": misfire_grace_time,
        },
        timezone=UTC,
        jobstore_retry_interval=poll_seconds,
    )


class SchedulerService:
    """Runs the process's scheduler while this instance leads; a standby otherwise."""

    def __init__(
        self,
        database: Database,
        *,
        outbound: Outbound | None = None,
        wanted: WantedJobs = configured_jobs,
        leadership: Leadership | None = None,
        holder: str | None = None,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ):
        self.database = database
        self.holder = holder or default_holder()
        self.leadership = leadership or leadership_for(database, holder=self.holder)
        self.wanted = wanted
        self.retry_seconds = retry_seconds
        self.context = context.JobContext(database, outbound, self.holder)
        self.scheduler = build_scheduler(database, poll_seconds=poll_seconds)
        self.last_reconcile: ReconcileReport | None = None
        self._leading = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self._leading.is_set()

    def start(self) -> None:
        context.install(self.context)
        # Paused: jobs can be added and removed from here, but only the leader runs them.
        self.scheduler.start(paused=True)
        self._thread = threading.Thread(
            target=self._watch, name="collider-scheduler-leadership", daemon=True
        )
        self._thread.start()
        logger.info("scheduler service started as %s", self.holder)

    def wait_until_leader(self, timeout: float) -> bool:
        return self._leading.wait(timeout)

    def stop(self) -> None:
        """Stop running jobs (waiting for running ones), then hand leadership over."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.scheduler.state != STATE_STOPPED:
            self.scheduler.shutdown(wait=True)
        self._leading.clear()
        try:
            self.leadership.dispose()
        except Exception as error:  # noqa: BLE001 - the lease expires or the session ends anyway
            logger.warning("could not release scheduler leadership: %s", error)
        context.clear(self.context)
        logger.info("scheduler service stopped")

    def schedule(self, spec: JobSpec) -> Job:
        """Add or replace one job in the shared store (works on standbys too)."""
        return add_spec(self.scheduler, spec)

    def unschedule(self, job_id: str) -> bool:
        try:
            self.scheduler.remove_job(job_id)
        except JobLookupError:
            return False
        return True

    def _watch(self) -> None:
        while not self._stopping.is_set():
            self._check_leadership()
            self._stopping.wait(self.retry_seconds)

    def _check_leadership(self) -> None:
        if self.is_leader:
            try:
                still = self.leadership.confirm()
            except Exception as error:  # noqa: BLE001 - cannot prove we lead: stop running jobs
                logger.warning("could not confirm scheduler leadership: %s", error)
                still = False
            if not still:
                self.scheduler.pause()
                self._leading.clear()
                logger.warning("%s lost scheduler leadership; standing by", self.holder)
            return
        try:
            if not self.leadership.try_acquire():
                return
        except Exception as error:  # noqa: BLE001 - database unreachable: try again later
            logger.warning("could not try for scheduler leadership: %s", error)
            return
        try:
            with self.database.session() as session:
                wanted = self.wanted(session)
            self.last_reconcile = reconcile(self.scheduler, wanted)
        except Exception:  # noqa: BLE001 - lead only with a reconciled store; let another try
            logger.exception("reconciling scheduler jobs failed; giving up leadership")
            self.leadership.release()
            return
        self._leading.set()
        self.scheduler.resume()
        logger.info("%s leads the scheduler", self.holder)
