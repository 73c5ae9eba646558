"""The functions the scheduler runs, referenced by text (``"scheduler.jobs:send_poll"``).

Each is a module-level function taking primitive ids, so a pickled job survives restarts and
code changes that keep the name. Each calls one use case in ``services/`` with what the
scheduler service installed (``scheduler.context``); every message those send goes through
``services.delivery``, so a job run twice never sends twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from models.base import utcnow
from models.queries import forget_handled_requests as forget_requests_before
from scheduler.context import current
from services import poll_workflow, programme_workflow, round_workflow

logger = logging.getLogger(__name__)

# Slack retries a delivery within minutes; a week of keys is plenty.
KEEP_REQUEST_KEYS = timedelta(days=7)


def resume_unfinished_rounds() -> None:
    """Carry on with confirmed rounds that stopped half-way (a crash, a restart, a Slack outage)."""
    logger.info("running resume_unfinished_rounds")
    round_workflow.resume_unfinished_rounds(current().sender())


def run_due_match_schedules() -> None:
    """Start every scheduled matching whose time has come (each claimed once in the database)."""
    round_workflow.run_due_schedules(current().sender())


def send_poll(poll_id: int) -> None:
    """Open the evaluation poll ``poll_id`` and send it to everyone it asks."""
    logger.info("running send_poll(%s)", poll_id)
    poll_workflow.send_poll_now(current().sender(), poll_id)


def run_poll_sweep() -> None:
    """Plan, open, deliver, remind and close evaluation polls whose time has come."""
    poll_workflow.run_poll_sweep(current().sender())


def forget_handled_requests() -> None:
    """Housekeeping: drop the deduplication keys of requests handled long ago."""
    with current().database.session() as session:
        forget_requests_before(session, utcnow() - KEEP_REQUEST_KEYS)


def ask_experiment_results() -> None:
    """Ask the owners of experiments whose end date has come for the result (issue 16)."""
    programme_workflow.ask_due_results(current().sender(), utcnow().date())


def run_evaluation_sweep() -> None:
    """Send again the stage-evaluation invitations Slack did not take, and close evaluations
    whose time is up (who answered is then forgotten)."""
    programme_workflow.run_evaluation_sweep(current().sender())
