"""Days and weeks as people live them: on the wall clock of a time zone, not in UTC.

Storage keeps UTC instants. What a person calls "today", and "the same time in four weeks",
depend on their zone: at 01:00 in Helsinki the UTC date is still yesterday, and four weeks
after 09:00 in January is 09:00 in February but 10:00 in May if counted in fixed UTC hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_named(name: object) -> ZoneInfo | None:
    """The IANA zone ``name`` names (Slack's ``tz``, a setting); None for anything else."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_day(now: datetime, zone: tzinfo) -> date:
    """The date it is at ``now`` in ``zone``."""
    return now.astimezone(zone).date()


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """The UTC instant ``day`` begins in ``zone``."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def weeks_later(instant: datetime, weeks: int, zone: tzinfo) -> datetime:
    """``weeks`` weeks after ``instant`` at the same time on ``zone``'s wall clock, in UTC
    (across a change to or from summer time that is an hour more or less than fixed weeks)."""
    local = instant.astimezone(zone)
    wall_clock = local.replace(tzinfo=None) + timedelta(weeks=weeks)
    return wall_clock.replace(tzinfo=zone).astimezone(UTC)
