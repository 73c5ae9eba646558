"""Starting the scheduler service of a bot process, with the one Slack gateway its jobs use."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.poll_jobs import run_poll_sweep, send_poll_now
from bot.round_jobs import carry_out, run_due_schedules
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers.programme_blocks import result_request
from models.base import utcnow
from models.db import Database
from models.queries import forget_handled_requests
from scheduler import jobs
from scheduler.context import JobContext
from scheduler.runtime import SchedulerService
from scheduler.specs import JOB_PREFIX, JobSpec, register_job_source
from services.experiments import ask_due_results
from services.round_runner import unfinished_rounds

SCHEDULE_SWEEP_EVERY = timedelta(minutes=5)
# Slack retries a delivery within minutes; a week of keys is plenty.
KEEP_REQUEST_KEYS = timedelta(days=7)
POLL_SWEEP_EVERY = timedelta(minutes=5)
# Experiments end on a date: looking once an hour asks on the day.
EXPERIMENT_RESULTS_EVERY = timedelta(hours=1)

logger = logging.getLogger(__name__)


def register_jobs(settings: Settings) -> None:
    """Plug matchmaking, polls and housekeeping into the scheduler's job functions (in every
    process: any may become the leader)."""

    def resume(context: JobContext) -> None:
        gateway = context.slack()
        for round_id in unfinished_rounds(context.database):
            carry_out(context.database, gateway, settings, round_id)  # type: ignore[arg-type]

    def due_schedules(context: JobContext) -> None:
        run_due_schedules(context.database, context.slack(), settings)  # type: ignore[arg-type]

    def matchmaking_jobs(session: Session) -> list[JobSpec]:
        return [
            JobSpec.every(
                f"{JOB_PREFIX}schedules:due",
                "scheduler.jobs:run_due_match_schedules",
                SCHEDULE_SWEEP_EVERY,
                run_at_start=True,
            )
        ]

    def poll_sweep(context: JobContext) -> None:
        gateway = context.slack()
        run_poll_sweep(context.database, gateway, settings, holder=context.holder)  # type: ignore[arg-type]

    def send_poll(context: JobContext, poll_id: int) -> None:
        gateway = context.slack()
        send_poll_now(context.database, gateway, settings, poll_id, holder=context.holder)  # type: ignore[arg-type]

    def poll_jobs(session: Session) -> list[JobSpec]:
        # One sweep plans, opens, reminds and closes every poll: the polls table is the
        # schedule, so a restart or a missed run loses nothing (the sweep catches up).
        return [
            JobSpec.every(
                f"{JOB_PREFIX}polls:sweep",
                "scheduler.jobs:run_poll_sweep",
                POLL_SWEEP_EVERY,
                run_at_start=True,
            )
        ]

    def forget_requests(context: JobContext) -> None:
        with context.database.session() as session:
            forget_handled_requests(session, utcnow() - KEEP_REQUEST_KEYS)

    def housekeeping_jobs(session: Session) -> list[JobSpec]:
        return [
            JobSpec.every(
                f"{JOB_PREFIX}housekeeping:requests",
                "scheduler.jobs:forget_handled_requests",
                timedelta(days=1),
            )
        ]

    def experiment_results(context: JobContext) -> None:
        ask_due_results(
            context.database,
            context.slack(),  # type: ignore[arg-type]
            result_request,
            utcnow().date(),
            settings.default_language,
        )

    def experiment_jobs(session: Session) -> list[JobSpec]:
        return [
            JobSpec.every(
                f"{JOB_PREFIX}experiments:results",
                "scheduler.jobs:ask_experiment_results",
                EXPERIMENT_RESULTS_EVERY,
                run_at_start=True,
            )
        ]

    jobs.register_job_handler(jobs.ASK_EXPERIMENT_RESULTS, experiment_results)
    register_job_source("experiments", experiment_jobs)
    jobs.register_job_handler(jobs.FORGET_HANDLED_REQUESTS, forget_requests)
    register_job_source("housekeeping", housekeeping_jobs)
    jobs.register_job_handler(jobs.RUN_POLL_SWEEP, poll_sweep)
    jobs.register_job_handler(jobs.SEND_POLL, send_poll)
    register_job_source("polls", poll_jobs)
    jobs.register_job_handler(jobs.RESUME_UNFINISHED_ROUNDS, resume)
    jobs.register_job_handler(jobs.RUN_DUE_MATCH_SCHEDULES, due_schedules)
    register_job_source("matchmaking", matchmaking_jobs)


def scheduler_service(settings: Settings, database: Database) -> SchedulerService:
    """A service whose jobs message Slack through the one gateway, built from ``settings``."""
    register_jobs(settings)
    return SchedulerService(database, messenger=lambda: SlackGateway(make_web_client(settings)))


def start_scheduler(settings: Settings, database: Database) -> SchedulerService | None:
    """Start the service unless COLLIDER_SCHEDULER=off; it runs jobs only while elected."""
    if not settings.scheduler:
        logger.info("scheduler off in this process (COLLIDER_SCHEDULER=off)")
        return None
    service = scheduler_service(settings, database)
    service.start()
    return service
