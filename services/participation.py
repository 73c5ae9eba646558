"""A participant's own controls: join or leave matchmaking, pause it, a private do-not-match list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import DoNotMatch, OptIn, Participant
from models.base import utcnow
from models.queries import insert_ignoring_conflict
from services.errors import InvalidInput
from services.participants import SlackUser, ensure_participant

_RELATIVE = re.compile(r"^(\d{1,3})\s*(d|w|days?|weeks?|pv|vk|dagar|veckor)$", re.IGNORECASE)
_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_until(text: str, today: date | None = None) -> date:
    """A future date from ``2026-12-31``, ``31.12.2026`` or ``2w`` / ``10d``."""
    today = today or utcnow().date()
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


def pause(session: Session, user: SlackUser, until_text: str) -> date:
    if not until_text.strip():
        raise InvalidInput("rounds.pause_usage")
    until = parse_until(until_text)
    if until <= utcnow().date():
        raise InvalidInput("rounds.pause_past")
    participant = ensure_participant(session, user)
    participant.opt_in = OptIn.PAUSED
    participant.paused_until = datetime.combine(until, time.min, tzinfo=UTC)
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
