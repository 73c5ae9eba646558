"""A participant's own controls: join or leave matchmaking, pause it, a private do-not-match list."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import DoNotMatch, OptIn, Participant
from models.base import utcnow
from models.queries import insert_ignoring_conflict
from services.errors import InvalidInput
from services.local_time import local_day, start_of_day
from services.participants import SlackUser, ensure_participant

_RELATIVE = re.compile(r"^(\d{1,3})\s*(d|w|days?|weeks?|pv|vk|dagar|veckor)$", re.IGNORECASE)
_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_until(text: str, today: date) -> date:
    """A date from ``2026-12-31``, ``31.12.2026`` or ``2w`` / ``10d`` (counted from ``today``,
    the person's own)."""
    text = text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        days = amount * 7 if unit[0] in "wv" else amount
        return today + timedelta(days=days)
    finnish = _FINNISH_DATE.match(text)
    try:
        if finnish:
            day, month, year = (int(part) for part in finnish.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("rounds.pause_usage") from None


def join(session: Session, user: SlackUser) -> Participant:
    participant = ensure_participant(session, user)
    participant.opt_in, participant.paused_until = OptIn.IN, None
    return participant


def leave(session: Session, user: SlackUser) -> Participant:
    participant = ensure_participant(session, user)
    participant.opt_in, participant.paused_until = OptIn.OUT, None
    return participant


def pause(
    session: Session, user: SlackUser, until_text: str, zone: tzinfo, now: datetime | None = None
) -> date:
    """Pause matchmaking until the day ``until_text`` names begins in the person's ``zone``
    (their "today" is theirs too: at 01:00 in Helsinki, UTC's is still yesterday)."""
    if not until_text.strip():
        raise InvalidInput("rounds.pause_usage")
    today = local_day(now or utcnow(), zone)
    until = parse_until(until_text, today)
    if until <= today:
        raise InvalidInput("rounds.pause_past")
    participant = ensure_participant(session, user)
    participant.opt_in = OptIn.PAUSED
    participant.paused_until = start_of_day(until, zone)
    return until


def avoid(session: Session, user: SlackUser, other: SlackUser) -> None:
    if other.user_id == user.user_id:
        raise InvalidInput("rounds.avoid_self")
    me = ensure_participant(session, user)
    them = ensure_participant(session, other)
    insert_ignoring_conflict(
        session,
        DoNotMatch.__table__,  # type: ignore[arg-type]
        {"participant_id": me.id, "avoided_id": them.id},
    )


def unavoid(session: Session, user: SlackUser, other: SlackUser) -> None:
    me = ensure_participant(session, user)
    them = ensure_participant(session, other)
    session.execute(
        delete(DoNotMatch).where(
            DoNotMatch.participant_id == me.id, DoNotMatch.avoided_id == them.id
        )
    )


def avoided_user_ids(session: Session, user: SlackUser) -> list[str]:
    me = ensure_participant(session, user)
    return list(
        session.scalars(
            select(Participant.user_id)
            .join(DoNotMatch, DoNotMatch.avoided_id == Participant.id)
            .where(DoNotMatch.participant_id == me.id)
            .order_by(Participant.user_id)
        )
    )
