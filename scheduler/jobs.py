"""The functions the scheduler runs, referenced by text (``"scheduler.jobs:resume_unfinished_rounds"``).

Each is a module-level function taking primitive ids, so a pickled job survives restarts and
code changes that keep the name. The work itself lives in the domain services; the areas that
own it plug in with ``register_job_handler`` at start (e.g. matchmaking registers
``resume_unfinished_rounds``). Every handler gets the ``JobContext`` (database, Slack gateway)
first and opens its own sessions; anything that messages Slack goes through
``scheduler.outbox.send_once`` so a send is never repeated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from scheduler.context import JobContext, current

logger = logging.getLogger(__name__)

# A handler: (context, *ids) -> None.
JobHandler = Callable[..., None]

RESUME_UNFINISHED_ROUNDS = "resume_unfinished_rounds"
RUN_MATCH_SCHEDULE = "run_match_schedule"
RUN_DUE_MATCH_SCHEDULES = "run_due_match_schedules"
FORGET_HANDLED_REQUESTS = "forget_handled_requests"
SEND_POLL = "send_poll"
RUN_POLL_SWEEP = "run_poll_sweep"
ASK_EXPERIMENT_RESULTS = "ask_experiment_results"

_handlers: dict[str, JobHandler] = {}
_handlers_lock = threading.Lock()


class NoJobHandler(LookupError):
    """A job ran, but nothing registered the work it names."""


def register_job_handler(name: str, handler: JobHandler) -> None:
    """Plug the domain function that does the work of job ``name`` (replaces an earlier one)."""
    with _handlers_lock:
        _handlers[name] = handler


def unregister_job_handler(name: str) -> None:
    with _handlers_lock:
        _handlers.pop(name, None)


def registered_handlers() -> frozenset[str]:
    with _handlers_lock:
        return frozenset(_handlers)


def _run(name: str, *ids: int | str) -> None:
    with _handlers_lock:
        handler = _handlers.get(name)
    if handler is None:
        # Raise rather than pass silently: APScheduler logs it as a failed run.
        raise NoJobHandler(f"no handler registered for scheduled job {name!r}")
    context: JobContext = current()
    logger.info("running %s%s", name, ids or "")
    handler(context, *ids)


def resume_unfinished_rounds() -> None:
    """Carry on with confirmed rounds that stopped half-way (a crash, a restart, a Slack outage)."""
    _run(RESUME_UNFINISHED_ROUNDS)


def run_match_schedule(schedule_id: int) -> None:
    """Start the matchmaking round that the schedule ``schedule_id`` asks for now."""
    _run(RUN_MATCH_SCHEDULE, schedule_id)


def run_due_match_schedules() -> None:
    """Start every scheduled matching whose time has come (each claimed once in the database)."""
    _run(RUN_DUE_MATCH_SCHEDULES)


def send_poll(poll_id: int) -> None:
    """Send the evaluation poll ``poll_id`` (issue 5)."""
    _run(SEND_POLL, poll_id)


def run_poll_sweep() -> None:
    """Plan, open, deliver, remind and close evaluation polls whose time has come (issue 5)."""
    _run(RUN_POLL_SWEEP)


def forget_handled_requests() -> None:
    """Housekeeping: drop the deduplication keys of requests handled long ago."""
    _run(FORGET_HANDLED_REQUESTS)


def ask_experiment_results() -> None:
    """Ask the owners of experiments whose end date has come for the result (issue 16)."""
    _run(ASK_EXPERIMENT_RESULTS)
