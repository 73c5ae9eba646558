"""The claims behind exactly-once sends: one ``scheduled_sends`` row per send key.

``services.delivery`` is the only caller; these functions take the session first and never
commit (the delivery module commits each claim before it calls Slack).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import Participant
from models.queries import insert_ignoring_conflict
from models.scheduling import ScheduledSend, SendState

_ERROR_LENGTH = 255


@dataclass(frozen=True)
class SendRecord:
    """What is stored about one send: its state, where it landed, how often it was tried."""

    key: str
    state: SendState
    attempts: int
    claimed_at: datetime
    channel: str | None
    ts: str | None
    error: str | None


def _table() -> Table:
    return ScheduledSend.__table__  # type: ignore[return-value]


def _landed(channel: str | None, ts: str | None) -> str | None:
    # Stored in one column as "channel ts" (a ts has no spaces, nor does a channel id).
    if ts is None:
        return None
    return f"{channel or ''} {ts}"


def claim(
    session: Session,
    key: str,
    *,
    holder: str,
    due_at: datetime | None = None,
    now: datetime | None = None,
    recipient: str | None = None,
    about_id: int | None = None,
    team_id: str | None = None,
) -> bool:
    """Take the send ``key``; True when this caller may send it (new, or failed before).

    ``recipient`` (whose DM it goes to, in workspace ``team_id``) and ``about_id`` (whom it is
    about, if someone else) are recorded with the first claim: forget-me finds the row by them.

    A concurrent claim of the same key waits for the first one's commit and then finds the
    row: exactly one caller wins.
    """
    now = now or utcnow()
    values = {
        "key": key,
        "state": SendState.SENDING.value,
        "due_at": due_at,
        "attempts": 1,
        "claimed_by": holder,
        "claimed_at": now,
        "recipient": recipient,
        "about_id": about_id,
        "team_id": team_id,
    }
    if insert_ignoring_conflict(session, _table(), values):
        return True
    retried = session.execute(
        update(ScheduledSend)
        .where(ScheduledSend.key == key, ScheduledSend.state == SendState.FAILED)
        .values(
            state=SendState.SENDING,
            attempts=ScheduledSend.attempts + 1,
            claimed_by=holder,
            claimed_at=now,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return retried.rowcount == 1  # type: ignore[attr-defined]


def mark_sent(
    session: Session,
    key: str,
    *,
    channel: str | None = None,
    ts: str | None = None,
    now: datetime | None = None,
) -> None:
    session.execute(
        update(ScheduledSend)
        .where(ScheduledSend.key == key)
        .values(state=SendState.SENT, sent_at=now or utcnow(), result=_landed(channel, ts))
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, key: str, *, error: str, attempts: int | None = None) -> bool:
    """Release a claim that certainly did not send (a later call may claim it again).

    Only a claim still in ``sending`` is released, and with ``attempts`` only that very claim:
    a slow check must not release a newer claim that another process is sending under.
    """
    where = [ScheduledSend.key == key, ScheduledSend.state == SendState.SENDING]
    if attempts is not None:
        where.append(ScheduledSend.attempts == attempts)
    released = session.execute(
        update(ScheduledSend)
        .where(*where)
        .values(state=SendState.FAILED, error=error[:_ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )
    return released.rowcount == 1  # type: ignore[attr-defined]


def find_send(session: Session, key: str) -> SendRecord | None:
    row = session.scalars(select(ScheduledSend).where(ScheduledSend.key == key)).first()
    if row is None:
        return None
    channel, _, ts = (row.result or "").partition(" ")
    return SendRecord(
        key=row.key,
        state=row.state,
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        channel=channel or None,
        ts=ts or None,
        error=row.error,
    )


def send_state(session: Session, key: str) -> SendState | None:
    return session.scalar(select(ScheduledSend.state).where(ScheduledSend.key == key))


def sends_in_doubt(
    session: Session, *, older_than: timedelta = timedelta(minutes=5), now: datetime | None = None
) -> list[ScheduledSend]:
    """Claims left in ``sending`` longer than ``older_than``: a process died mid-send."""
    cutoff = (now or utcnow()) - older_than
    return list(
        session.scalars(
            select(ScheduledSend)
            .where(ScheduledSend.state == SendState.SENDING, ScheduledSend.claimed_at < cutoff)
            .order_by(ScheduledSend.claimed_at)
        )
    )


def still_here(session: Session, participant_id: int) -> bool:
    """Whether the participant has not asked to be forgotten. On PostgreSQL their row is locked
    for share until the caller's transaction ends: a forget-me in progress (which locks it for
    update first) is waited for and then seen, and one that starts later waits for this claim
    and then erases it. SQLite's one writer at a time gives the same order."""
    row = session.execute(
        select(Participant.forgotten_at)
        .where(Participant.id == participant_id)
        .with_for_update(read=True)
    ).first()
    return row is not None and row[0] is None
