"""Logging for every entry point, configured once from the settings (``COLLIDER_LOG_LEVEL``)."""

from __future__ import annotations

import logging

from bot.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings, *, verbose: bool = False) -> int:
    """Set the root level from ``settings`` (``--verbose`` means DEBUG); return the level.

    The level is set on the root logger even when a handler exists already (under gunicorn or a
    test runner), because ``basicConfig`` alone would then do nothing at all.
    """
    level = logging.DEBUG if verbose else logging.getLevelNamesMapping()[settings.log_level]
    logging.basicConfig(level=level, format=LOG_FORMAT)
    logging.getLogger().setLevel(level)
    # Alembic announces every migration step at INFO; only a debugging session wants that.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    return level
