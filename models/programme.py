"""The programme's path from think tank to experiment: charters, strategy goals, experiment
cards with their results, and evaluations of each finished stage.

Stage evaluations are anonymous in the same way as polls (``models/polls.py``): the invite
table knows who was asked and *whether* they answered; the answer table holds what was
answered under ``respondent = HMAC(answer key, "stage:evaluation_id:participant_id")`` and no
timestamp, so the two cannot be lined up.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.entities import Idea, Participant, Stage, _enum


class Decision(enum.StrEnum):
    """What an experiment's owners decided at its end."""

    PILOT = "pilot"
    ADOPT = "adopt"
    STOP = "stop"
    TRY_AGAIN = "try_again"


class StrategyGoal(Base):
    """One of the city's strategy goals, which themes and experiments serve."""

    __tablename__ = "strategy_goals"
    __table_args__ = (Index("ix_strategy_goals_team_id_removed_at", "team_id", "removed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    # Removed goals stay, so experiments and reports that named them keep their label.
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Charter(Base):
    """A think tank's agreed common goal, roles and ground rules, pinned in its conversation."""

    __tablename__ = "charters"

    id: Mapped[int] = mapped_column(primary_key=True)
    think_tank_id: Mapped[int] = mapped_column(ForeignKey("think_tanks.id"), unique=True)
    goal: Mapped[str] = mapped_column(Text, default="")
    roles: Mapped[str] = mapped_column(Text, default="")
    ground_rules: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    # The charter's message in the conversation: edited in place, pinned once.
    message_ts: Mapped[str | None] = mapped_column(String(32))
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Experiment(Base):
    """An experiment card: what is tried, how success is known, and (at the end) the result."""

    __tablename__ = "experiments"
    __table_args__ = (
        Index("ix_experiments_team_id_starts_on", "team_id", "starts_on"),
        Index("ix_experiments_ends_on_result_asked_at", "ends_on", "result_asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"), index=True)
    think_tank_id: Mapped[int | None] = mapped_column(ForeignKey("think_tanks.id"), index=True)
    # The card is created when the idea moves to the experiment stage, and filled in after.
    title: Mapped[str] = mapped_column(String(200), default="")
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(String(200), default="")
    who: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    costs: Mapped[str] = mapped_column(String(200), default="")
    strategy_goal_id: Mapped[int | None] = mapped_column(ForeignKey("strategy_goals.id"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    filled_at: Mapped[datetime | None]
    # The owners were asked for the result (claimed once, so they are asked once).
    result_asked_at: Mapped[datetime | None]
    result_happened: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision))
    learned: Mapped[str] = mapped_column(Text, default="")
    result_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    result_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    idea: Mapped[Idea | None] = relationship()
    strategy_goal: Mapped[StrategyGoal | None] = relationship()


# How long a stage evaluation takes answers (and retries invitations Slack could not take).
EVALUATION_OPEN_FOR = timedelta(days=14)


def _evaluation_closes() -> datetime:
    return utcnow() + EVALUATION_OPEN_FOR


class InviteState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class StageEvaluation(Base):
    """The evaluation of one finished stage of one idea, asked of everyone involved in it.

    Open until ``closes_at``: invitations Slack could not take are retried until then, answers
    are taken until then. When it closes (``closed_at``), who answered is forgotten, as for polls.
    Once no invitation is waiting any more, the facilitator who moved the idea is told which
    could not be delivered (``failures_reported_at``: claimed before, released if not told).
    """

    __tablename__ = "stage_evaluations"
    __table_args__ = (
        Index("ix_stage_evaluations_team_id_created_at", "team_id", "created_at"),
        Index("ix_stage_evaluations_closed_at_closes_at", "closed_at", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    # The move that finished the stage: one evaluation per move, however often it is retried.
    idea_stage_id: Mapped[int] = mapped_column(ForeignKey("idea_stages.id"), unique=True)
    experiment_id: Mapped[int | None] = mapped_column(ForeignKey("experiments.id"))
    stage: Mapped[Stage] = mapped_column(_enum(Stage))
    next_stage: Mapped[Stage] = mapped_column(_enum(Stage))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(default=_evaluation_closes)
    closed_at: Mapped[datetime | None]
    failures_reported_at: Mapped[datetime | None]

    invites: Mapped[list[StageEvaluationInvite]] = relationship(
        back_populates="evaluation", order_by="StageEvaluationInvite.id"
    )


class StageEvaluationInvite(Base):
    """One person asked to evaluate a stage: whether it reached them and whether they answered
    (until the evaluation closes: then ``answered`` is erased)."""

    __tablename__ = "stage_evaluation_invites"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "participant_id"),
        Index("ix_stage_evaluation_invites_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("stage_evaluations.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    state: Mapped[InviteState] = mapped_column(_enum(InviteState), default=InviteState.PENDING)
    answered: Mapped[bool] = mapped_column(default=False)
    # Sends Slack did not take: how many, when to try again, and the last error.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(255))

    evaluation: Mapped[StageEvaluation] = relationship(back_populates="invites")
    participant: Mapped[Participant] = relationship()


class StageEvaluationAnswer(Base):
    """One person's evaluation of a stage, under an opaque respondent key."""

    __tablename__ = "stage_evaluation_answers"
    __table_args__ = (UniqueConstraint("evaluation_id", "respondent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("stage_evaluations.id"), index=True)
    respondent: Mapped[str] = mapped_column(String(64))
    gave: Mapped[str] = mapped_column(Text, default="")
    hard: Mapped[str] = mapped_column(Text, default="")
    succeeded: Mapped[str] = mapped_column(Text, default="")
    # Collaboration across organisations, 1-5.
    rating: Mapped[int | None]
