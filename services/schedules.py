"""Scheduled matching: every N weeks, a preview for the facilitator or an automatic round."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import MatchSchedule
from models.base import utcnow
from services.errors import InvalidInput
from services.local_time import weeks_later
from services.matchmaking import RoundSettings
from services.participants import SlackUser

_EVERY = re.compile(r"^(?:every\s+)?(\d{1,2})\s*(?:w|weeks?)?(\s+auto)?$", re.IGNORECASE)


def parse_schedule(text: str) -> tuple[int, bool]:
    """``every 4 weeks [auto]`` → (4, auto)."""
    match = _EVERY.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= 52:
        raise InvalidInput("rounds.schedule_usage")
    return int(match.group(1)), bool(match.group(2))


def set_schedule(
    session: Session,
    facilitator: SlackUser,
    every_weeks: int,
    auto_confirm: bool,
    zone: tzinfo,
    settings: RoundSettings | None = None,
    first_run: datetime | None = None,
) -> MatchSchedule:
    """One active schedule per workspace: a new one replaces the old. It keeps the time of
    day on ``zone``'s wall clock (the deployment's), through summer time and back."""
    stop_schedules(session, facilitator.team_id)
    schedule = MatchSchedule(
        team_id=facilitator.team_id,
        every_weeks=every_weeks,
        auto_confirm=auto_confirm,
        parameters=(settings or RoundSettings()).validate().as_json(),
        created_by=facilitator.user_id,
        next_run_at=first_run or weeks_later(utcnow(), every_weeks, zone),
    )
    session.add(schedule)
    session.flush()
    return schedule


def stop_schedules(session: Session, team_id: str) -> None:
    session.execute(
        update(MatchSchedule)
        .where(MatchSchedule.team_id == team_id, MatchSchedule.active.is_(True))
        .values(active=False)
    )


def claim_due(session: Session, zone: tzinfo, now: datetime | None = None) -> list[MatchSchedule]:
    """Due schedules, each moved to its next run by a conditional UPDATE: a run is claimed once,
    even with several processes looking at the same time. The next run is whole weeks later
    on ``zone``'s wall clock: 09:00 in Helsinki stays 09:00 when summer time begins."""
    now = now or utcnow()
    claimed = []
    for schedule in session.scalars(
        select(MatchSchedule).where(
            MatchSchedule.active.is_(True), MatchSchedule.next_run_at <= now
        )
    ).all():
        seen = schedule.next_run_at
        following = weeks_later(seen, schedule.every_weeks, zone)
        while following <= now:  # after a long outage, one run, not a backlog
            following = weeks_later(following, schedule.every_weeks, zone)
        won = session.execute(
            update(MatchSchedule)
            .where(MatchSchedule.id == schedule.id, MatchSchedule.next_run_at == seen)
            .values(next_run_at=following)
            .returning(MatchSchedule.id)
        ).scalar()
        if won is not None:
            claimed.append(schedule)
    return claimed
