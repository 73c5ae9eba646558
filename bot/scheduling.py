"""Starting the scheduler service of a bot process, with the one Slack gateway its jobs use."""

from __future__ import annotations

import logging

from bot.settings import Settings
from bot.slack_client import make_web_client
from models.db import Database
from scheduler.runtime import SchedulerService

logger = logging.getLogger(__name__)


def scheduler_service(settings: Settings, database: Database) -> SchedulerService:
    """A service whose jobs message Slack through a client built from ``settings``."""
    return SchedulerService(database, messenger=lambda: make_web_client(settings))


def start_scheduler(settings: Settings, database: Database) -> SchedulerService | None:
    """Start the service unless COLLIDER_SCHEDULER=off; it runs jobs only while elected."""
    if not settings.scheduler:
        logger.info("scheduler off in this process (COLLIDER_SCHEDULER=off)")
        return None
    service = scheduler_service(settings, database)
    service.start()
    return service
