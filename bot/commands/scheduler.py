"""``collider scheduler``: run scheduled work on its own, or ``--list`` the stored jobs."""

from __future__ import annotations

import argparse
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.commands.common import CommandFailed, open_database

if TYPE_CHECKING:
    from models.db import Database

DOUBT_AFTER = timedelta(minutes=5)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scheduler",
        help="run scheduled work (polls, matchmaking) and similar-idea suggestions alone",
        description=(
            "Run the scheduler and the similar-idea sweeper without serving Slack (for "
            "deployments that keep them apart; set COLLIDER_SCHEDULER=off for `collider run` "
            "then). Several may run: one of each is elected."
        ),
    )
    parser.add_argument(
        "--list", action="store_true", help="show the stored jobs and unsettled sends, then exit"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = args.settings
    database = open_database(settings)
    try:
        if args.list:
            print_jobs(database)
            return 0
        if not settings.slack_bot_token:
            raise CommandFailed("SLACK_BOT_TOKEN is required: scheduled jobs message Slack")
        from bot.background import run_background

        # The scheduler and the similar-idea sweeper, each elected: the same background work
        # `collider run --http` runs beside its workers.
        return run_background(settings, database, scheduler=True)
    finally:
        database.dispose()


def print_jobs(database: Database) -> None:
    from models.sends import sends_in_doubt
    from scheduler.runtime import build_scheduler

    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no "started"/"shut down" noise
    # Started paused: it reads the store and runs nothing.
    scheduler = build_scheduler(database)
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    if not jobs:
        print("No scheduled jobs.")
    for job in jobs:
        when = job.next_run_time.isoformat() if job.next_run_time else "paused"
        print(f"{job.id}  next {when}  {job.trigger}  {job.func_ref}{tuple(job.args) or ''}")
    print_match_schedules(database)
    with database.session() as session:
        doubtful = sends_in_doubt(session, older_than=DOUBT_AFTER)
    if doubtful:
        print(f"\n{len(doubtful)} send(s) cut off mid-way (maybe sent, never retried):")
        for send in doubtful:
            print(f"  {send.key}  claimed by {send.claimed_by} at {send.claimed_at.isoformat()}")


def print_match_schedules(database: Database) -> None:
    """Matchmaking set up with ``/collider schedule``: rows of their own, run by the sweep job
    (``run_due_match_schedules``), so they are not among the APScheduler jobs above."""
    from sqlalchemy import select

    from models import MatchSchedule

    with database.session() as session:
        schedules = list(
            session.scalars(
                select(MatchSchedule)
                .where(MatchSchedule.active.is_(True))
                .order_by(MatchSchedule.team_id, MatchSchedule.id)
            )
        )
        if not schedules:
            print("\nNo matchmaking schedules (/collider schedule).")
            return
        print(f"\n{len(schedules)} matchmaking schedule(s) made with /collider schedule:")
        for schedule in schedules:
            mode = "confirmed automatically" if schedule.auto_confirm else "preview to facilitators"
            print(
                f"  schedule {schedule.id}  workspace {schedule.team_id}  every "
                f"{schedule.every_weeks} week(s), {mode}  next {schedule.next_run_at.isoformat()}"
                f"  set by {schedule.created_by}"
            )
