"""Matchmaking rounds: a preview a facilitator refines, then think tanks with conversations.

Each step of carrying out a round is recorded here before and after its Slack call, so a round
interrupted half-way resumes where it stopped and nothing is created or sent twice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.entities import Idea, Participant, _enum


class RoundStatus(enum.StrEnum):
    PREVIEW = "preview"  # groups proposed; the facilitator can re-run, move, lock, discard
    CONFIRMED = "confirmed"  # being carried out: conversations and intros under way
    COMPLETED = "completed"
    DISCARDED = "discarded"


class StepState(enum.StrEnum):
    PENDING = "pending"
    # Marked before the Slack call: a crash here leaves the outcome unknown, and the resume
    # checks Slack before trying again.
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus), default=RoundStatus.PREVIEW)
    # Bumped on every change to the preview; a confirm names the version it was shown.
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str] = mapped_column(String(32))
    confirmed_by: Mapped[str | None] = mapped_column(String(32))
    # Pool, sizes, diversity, repeat window, seed: what the facilitator chose.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cohesion: Mapped[float] = mapped_column(default=0.0)
    random_cohesion: Mapped[float] = mapped_column(default=0.0)
    # Constraints the engine could not meet, as (code, participant ids, params) records.
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Where the preview message lives, so it can be updated in place.
    preview_channel: Mapped[str | None] = mapped_column(String(32))
    preview_ts: Mapped[str | None] = mapped_column(String(32))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("match_schedules.id"))
    # Who is carrying the round out, until when: one runner at a time across processes.
    runner: Mapped[str | None] = mapped_column(String(64))
    runner_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    think_tanks: Mapped[list[ThinkTank]] = relationship(
        back_populates="round", order_by="ThinkTank.number", cascade="all, delete-orphan"
    )
    notices: Mapped[list[RoundNotice]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )


class ThinkTank(Base):
    __tablename__ = "think_tanks"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    number: Mapped[int]
    locked: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    cohesion: Mapped[float] = mapped_column(default=0.0)
    key_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    anchor_idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    conversation_state: Mapped[StepState] = mapped_column(
        _enum(StepState), default=StepState.PENDING
    )
    intro_state: Mapped[StepState] = mapped_column(_enum(StepState), default=StepState.PENDING)
    intro_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime | None]

    round: Mapped[Round] = relationship(back_populates="think_tanks")
    members: Mapped[list[ThinkTankMember]] = relationship(
        back_populates="think_tank", cascade="all, delete-orphan", order_by="ThinkTankMember.id"
    )


class ThinkTankMember(Base):
    __tablename__ = "think_tank_members"
    # One group per person per round, whatever happens to the preview.
    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    think_tank_id: Mapped[int] = mapped_column(ForeignKey("think_tanks.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    # The idea that ties this member to the group, with how strongly.
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    tie_score: Mapped[float] = mapped_column(default=0.0)
    # Slack could not reach this person (deactivated, not found): the rest of the group goes on.
    unreachable: Mapped[str | None] = mapped_column(String(64))

    think_tank: Mapped[ThinkTank] = relationship(back_populates="members")
    participant: Mapped[Participant] = relationship()
    idea: Mapped[Idea | None] = relationship()


class RoundNotice(Base):
    """A personal note to someone the round could not place, saying why."""

    __tablename__ = "round_notices"
    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    reason: Mapped[str] = mapped_column(String(64))
    state: Mapped[StepState] = mapped_column(_enum(StepState), default=StepState.PENDING)

    round: Mapped[Round] = relationship(back_populates="notices")
    participant: Mapped[Participant] = relationship()


class DoNotMatch(Base):
    """A private wish of one participant never to be grouped with another."""

    __tablename__ = "do_not_match"
    __table_args__ = (UniqueConstraint("participant_id", "avoided_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    avoided_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    avoided: Mapped[Participant] = relationship(foreign_keys=[avoided_id])


class Facilitator(Base):
    """Facilitators added in Slack (besides COLLIDER_FACILITATORS and workspace admins)."""

    __tablename__ = "facilitators"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    added_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchSchedule(Base):
    """Matching every N weeks: the preview goes to facilitators, or is confirmed automatically."""

    __tablename__ = "match_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    every_weeks: Mapped[int]
    auto_confirm: Mapped[bool] = mapped_column(default=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
