"""What the scheduler stores: APScheduler's job table, the leader lease, and the claims of
exactly-once sends (``models.sends``).

Alembic owns all three tables; APScheduler is told not to create its own (see
``scheduler.runtime.CollideJobStore``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Float, ForeignKey, LargeBinary, String, Table, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.entities import _enum

# The same columns as APScheduler 3's SQLAlchemyJobStore creates (191: InnoDB key length;
# Float(25): an 8-byte float of epoch seconds), so its queries run unchanged on this table.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SendState(enum.StrEnum):
    # Claimed, and the Slack call may be under way: a crash here leaves the outcome unknown,
    # so it is never retried automatically (that could send twice).
    SENDING = "sending"
    SENT = "sent"
    # Slack certainly did not deliver it: a later run may claim it again.
    FAILED = "failed"


class ScheduledSend(Base):
    """One message sent outside a request (a poll DM, an intro, a notice, a summary), claimed
    by ``services.delivery`` before Slack is called: at most one row per ``key``."""

    __tablename__ = "scheduled_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    state: Mapped[SendState] = mapped_column(_enum(SendState), default=SendState.SENDING)
    due_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # What Slack gave back (e.g. a message ts), or why it failed.
    result: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(255))
    # Whose DM it went to (a Slack user id; None for a shared conversation), and whom it is
    # about when that is someone else (a co-author joining another's idea): forget-me finds
    # every message to or about a person by these, whatever the send's key says.
    recipient: Mapped[str | None] = mapped_column(String(32), index=True)
    about_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    # The workspace of that DM: on an Enterprise Grid one Slack user id (and one DM channel)
    # belongs to several workspaces, and forget-me in one must leave the others' sends alone.
    team_id: Mapped[str | None] = mapped_column(String(32), index=True)


class SchedulerLease(Base):
    """Who runs the scheduler until when; renewed by the holder, taken over when it expires."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
