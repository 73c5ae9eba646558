"""Evaluation polls: templates, polls sent to a think tank or a round, deliveries, answers.

Anonymity lives in the shape of these tables. ``poll_deliveries`` knows who was asked and
*whether* they answered (for reminders), never what. ``poll_answers`` holds what was answered
under an opaque ``respondent`` key, ``HMAC(answer key, "poll_id:participant_id")``: the same
person finds and changes their own answer, while a report (or anyone reading these two tables
without the key) cannot tell whose it is. Only attributed polls also store ``participant_id``
on the answer. Anonymous answers carry no timestamps, so they cannot be lined up with the
moment a delivery was marked answered. See ``services/polls.py`` for the key itself.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.entities import Participant, _enum


class QuestionKind(enum.StrEnum):
    LIKERT = "likert"  # 1-5
    CHOICE = "choice"  # one of the listed options
    TEXT = "text"  # free text, answered in a modal


class PollState(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # not sent yet (or a temporary Slack failure: tried again later)
    SENT = "sent"
    FAILED = "failed"  # Slack refused for good (deactivated, not found): shown to facilitators
    IN_DOUBT = "in_doubt"  # the connection broke mid-send: checked in the DM, never re-sent blindly


class PollTemplate(Base):
    """Questions a facilitator wrote (the built-in co-creation evaluation has no row)."""

    __tablename__ = "poll_templates"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    # [{"key", "kind", "text": {"*" or language: text}, "options": [text, ...]}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Poll(Base):
    __tablename__ = "polls"
    __table_args__ = (
        # A planned poll of a think tank exists once, however many sweeps plan it at once.
        UniqueConstraint("think_tank_id", "sequence"),
        Index("ix_polls_state_opens_at", "state", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("poll_templates.id"))
    # The questions as they were when the poll was made: editing a template changes no poll.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    title: Mapped[str | None] = mapped_column(String(80))
    think_tank_id: Mapped[int | None] = mapped_column(ForeignKey("think_tanks.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    # 1, 2, 3... for polls planned from the think tank's start; None for ad hoc polls.
    sequence: Mapped[int | None]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    anonymous: Mapped[bool] = mapped_column(default=True)
    state: Mapped[PollState] = mapped_column(_enum(PollState), default=PollState.SCHEDULED)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Facilitators were told about people the poll could not reach.
    failures_reported: Mapped[bool] = mapped_column(default=False)

    deliveries: Mapped[list[PollDelivery]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="PollDelivery.id"
    )


class PollDelivery(Base):
    """One person asked in one poll: whether it reached them, and whether they answered."""

    __tablename__ = "poll_deliveries"
    __table_args__ = (UniqueConstraint("poll_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    # The think tank the person answers for (a round-wide poll spans several).
    think_tank_id: Mapped[int | None] = mapped_column(ForeignKey("think_tanks.id"))
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    answered: Mapped[bool] = mapped_column(default=False)
    reminded_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(255))

    poll: Mapped[Poll] = relationship(back_populates="deliveries")
    participant: Mapped[Participant] = relationship()


class PollAnswer(Base):
    """One answer to one question; for anonymous polls nothing here names the person."""

    __tablename__ = "poll_answers"
    __table_args__ = (UniqueConstraint("poll_id", "respondent", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    respondent: Mapped[str] = mapped_column(String(64))
    # Kept so results can be shown per think tank; a group is a set of people, not a person.
    think_tank_id: Mapped[int | None] = mapped_column(ForeignKey("think_tanks.id"))
    question_key: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    # Attributed polls only.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))


class AppSecret(Base):
    """Secrets the app generated for itself (the answer key when none is configured), and the
    fingerprints of the answer keys answers were stored under (``services/answer_keys.py``)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
