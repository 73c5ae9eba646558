"""The background work of a deployment, in a process that serves no requests.

The scheduler (polls, scheduled matching, resuming rounds) and the similar-idea sweeper are
both elected: every process that runs them competes, one of each leads per deployment. In HTTP
mode they run here, in one process beside the gunicorn workers (``bot.supervisor`` starts it
and starts it again if it dies), so a sweep's CPU work (index refit, product, rendering) never
holds up the requests of a worker's event loop. ``collider scheduler`` is the same process run
on its own: the scheduler and the sweeper.

This process is never gevent-patched (it is started afresh, not forked from a patched worker):
APScheduler, the sweeper and their send pools run on real threads.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable

from bot.scheduling import scheduler_service
from bot.settings import Settings
from bot.suggestions import start_suggestion_sweeper
from models.db import Database

logger = logging.getLogger(__name__)

# How often a supervised process looks whether its supervisor still lives.
PARENT_CHECK_SECONDS = 1.0


def run_background(
    settings: Settings, database: Database, *, scheduler: bool, parent: int | None = None
) -> int:
    """Run the sweeper (and the scheduler when ``scheduler``) until SIGTERM or SIGINT, or until
    ``parent`` (the supervisor's pid) is gone; then stop them, handing leadership over."""
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    stoppers: list[Callable[[], None]] = []
    try:
        if scheduler:
            service = scheduler_service(settings, database)
            service.start()
            stoppers.append(service.stop)
        else:
            logger.info("scheduler off in this process (COLLIDER_SCHEDULER=off)")
        stoppers.append(start_suggestion_sweeper(settings, database).stop)
        logger.info("background work running in process %s", os.getpid())
        while not stopping.wait(PARENT_CHECK_SECONDS):
            if parent is not None and os.getppid() != parent:
                logger.warning("the supervisor (process %s) is gone; stopping", parent)
                break
    finally:
        for stop in reversed(stoppers):
            stop()
        database.dispose()
    return 0
