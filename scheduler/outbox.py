"""Exactly-once sends for scheduled work: claim the send in the database, then call Slack.

APScheduler alone cannot promise "never twice": it hands a job to its executor *before* it
stores the job's next run time, so a crash in between runs it again after the restart, and two
schedulers that briefly both think they lead would both run it. Every poll, intro or round step
that a job sends therefore goes through ``send_once`` with a key naming that one occurrence
(``"poll:42"``, ``"round:7:intro:3"``, ``"schedule:5:2026-03-02T09:00"``). The unique key decides:

1. claim: INSERT the key in state ``sending`` and commit (a concurrent claim of the same key
   waits for that commit and then finds the row: exactly one caller wins);
2. call Slack;
3. mark ``sent`` (with what Slack returned), or ``failed`` when the send raised ``NotDelivered``
   (Slack certainly did not deliver: a later run may claim the key again).

A crash during step 2 leaves the row in ``sending``: the outcome is unknown, so it is never
retried automatically; ``sends_in_doubt`` lists such rows for a person (or a domain check
against Slack) to settle.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.db import Database
from models.queries import insert_ignoring_conflict
from models.scheduling import ScheduledSend, SendState

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_ERROR_LENGTH = 255


class NotDelivered(Exception):
    """Raised by a send when the message certainly did not go out, so trying again is safe."""


class SendOutcome(enum.StrEnum):
    SENT = "sent"  # this call sent it
    ALREADY_SENT = "already_sent"  # an earlier call did
    IN_DOUBT = "in_doubt"  # claimed earlier and not finished: maybe sent, not retried
    FAILED = "failed"  # this call tried and Slack did not deliver; a later call may retry


def _table() -> Table:
    return ScheduledSend.__table__  # type: ignore[return-value]


def claim(
    session: Session,
    key: str,
    *,
    holder: str,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Take the send ``key``; True when this caller may send it (new, or failed before)."""
    now = now or utcnow()
    values = {
        "key": key,
        "state": SendState.SENDING.value,
        "due_at": due_at,
        "attempts": 1,
        "claimed_by": holder,
        "claimed_at": now,
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
    session: Session, key: str, *, result: str | None = None, now: datetime | None = None
) -> None:
    session.execute(
        update(ScheduledSend)
        .where(ScheduledSend.key == key)
        .values(state=SendState.SENT, sent_at=now or utcnow(), result=result)
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, key: str, *, error: str) -> None:
    session.execute(
        update(ScheduledSend)
        .where(ScheduledSend.key == key)
        .values(state=SendState.FAILED, error=error[:_ERROR_LENGTH])
        .execution_options(synchronize_session=False)
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


def send_once(
    database: Database,
    key: str,
    send: Callable[[], str | None],
    *,
    holder: str,
    due_at: datetime | None = None,
    clock: Clock = utcnow,
) -> SendOutcome:
    """Run ``send`` (which calls Slack and may return e.g. the message ts) at most once per key.

    ``send`` raises ``NotDelivered`` when Slack refused (the send may be retried later); any
    other exception leaves the claim in doubt and propagates.
    """
    with database.session() as session:
        if not claim(session, key, holder=holder, due_at=due_at, now=clock()):
            state = send_state(session, key)
            return SendOutcome.ALREADY_SENT if state == SendState.SENT else SendOutcome.IN_DOUBT
    try:
        result = send()
    except NotDelivered as error:
        with database.session() as session:
            mark_failed(session, key, error=str(error) or type(error).__name__)
        logger.warning("send %s not delivered: %s", key, error)
        return SendOutcome.FAILED
    except Exception:
        logger.exception("send %s: outcome unknown; left in 'sending', not retried", key)
        raise
    with database.session() as session:
        mark_sent(session, key, result=result, now=clock())
    return SendOutcome.SENT
