"""Starting the scheduler service of a bot process, with the one Slack gateway its jobs use."""

from __future__ import annotations

import logging

from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers.outgoing_views import SlackViews
from models.db import Database
from scheduler.runtime import SchedulerService
from services.outgoing import Outbound

logger = logging.getLogger(__name__)


def outbound(
    settings: Settings, database: Database, gateway: SlackGateway | None = None
) -> Outbound:
    """What scheduled work sends with: one gateway (one pacer) for every job of the process."""
    gateway = gateway or SlackGateway(make_web_client(settings))
    return Outbound(database, gateway, SlackViews(), settings)


def scheduler_service(settings: Settings, database: Database) -> SchedulerService:
    """A service whose jobs message Slack through the one gateway, built from ``settings``."""
    return SchedulerService(database, outbound=outbound(settings, database))


def start_scheduler(settings: Settings, database: Database) -> SchedulerService | None:
    """Start the service unless COLLIDER_SCHEDULER=off; it runs jobs only while elected."""
    if not settings.scheduler:
        logger.info("scheduler off in this process (COLLIDER_SCHEDULER=off)")
        return None
    service = scheduler_service(settings, database)
    service.start()
    return service
