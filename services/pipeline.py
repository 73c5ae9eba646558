"""The pipeline: ideas move from idea to think tank, experiment, pilot, adopted or stopped."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models import Idea, IdeaStage, IdeaStatus, Participant, Stage
from services.errors import InvalidInput, NotFound
from services.experiments import start_experiment
from services.ideas import idea_of, of_team
from services.participants import SlackUser, ensure_participant
from services.stage_evaluations import open_evaluation
from services.text import clean_text

MAX_NOTE = 500


@dataclass(frozen=True)
class Move:
    idea: Idea
    previous: Stage
    change: IdeaStage
    # The programme's follow-ups of the move (services/experiments, services/stage_evaluations).
    experiment_id: int | None = None
    evaluation_id: int | None = None


def move_idea(
    session: Session, user: SlackUser, idea_id: int, stage: str | None, note: str | None
) -> Move:
    """Record that ``idea_id`` moved to ``stage`` (the caller checked the facilitator role)."""
    try:
        new_stage = Stage(stage or "")
    except ValueError:
        raise InvalidInput("errors.bad_choice", field="stage") from None
    note = clean_text(note, field="note", limit=MAX_NOTE)
    idea = idea_of(session, user.team_id, idea_id)
    if idea is None or idea.status is IdeaStatus.WITHDRAWN:
        raise NotFound("errors.idea_not_found")
    if idea.stage is new_stage:
        raise InvalidInput("pipeline.same_stage", field="stage")
    previous = idea.stage
    mover = ensure_participant(session, user)
    change = IdeaStage(idea=idea, stage=new_stage, note=note, changed_by_id=mover.id)
    session.add(change)
    idea.stage = new_stage
    session.flush()
    # In the same transaction as the move, so neither the card nor the evaluation is lost.
    experiment = (
        start_experiment(session, idea, user.team_id, mover.id)
        if new_stage is Stage.EXPERIMENT
        else None
    )
    evaluation = open_evaluation(session, user.team_id, change, previous)
    return Move(
        idea=idea,
        previous=previous,
        change=change,
        experiment_id=experiment.id if experiment else None,
        evaluation_id=evaluation.id if evaluation else None,
    )


def idea_for_stage_change(session: Session, team_id: str, idea_id: int) -> Idea:
    idea = idea_of(session, team_id, idea_id)
    if idea is None or idea.status is IdeaStatus.WITHDRAWN:
        raise NotFound("errors.idea_not_found")
    return idea


@dataclass(frozen=True)
class PipelineSummary:
    per_stage: dict[Stage, int]
    participants: int
    organisations: int

    @property
    def ideas(self) -> int:
        return sum(self.per_stage.values())


def pipeline_summary(
    session: Session, team_id: str, theme_id: int | None = None
) -> PipelineSummary:
    """The workspace's ideas per stage, their distinct authors and the authors' distinct
    organisations."""
    conditions = [Idea.status == IdeaStatus.OPEN, of_team(team_id)]
    if theme_id is not None:
        conditions.append(Idea.theme_id == theme_id)
    counts = dict(
        session.execute(
            select(Idea.stage, func.count()).where(*conditions).group_by(Idea.stage)
        ).all()
    )
    authors = select(Idea.author_id).where(*conditions).distinct().subquery()
    participants = session.scalar(select(func.count()).select_from(authors)) or 0
    organisations = (
        session.scalar(
            select(func.count(func.distinct(func.lower(Participant.organisation)))).where(
                Participant.id.in_(select(authors.c.author_id)),
                Participant.organisation.is_not(None),
            )
        )
        or 0
    )
    return PipelineSummary(
        per_stage={stage: int(counts.get(stage, 0)) for stage in Stage},
        participants=participants,
        organisations=organisations,
    )


def ideas_of(session: Session, user: SlackUser) -> list[Idea]:
    """The person's open ideas and needs, newest first, with their stage history."""
    return list(
        session.scalars(
            select(Idea)
            .join(Idea.author)
            .options(joinedload(Idea.stages))
            .where(
                Participant.team_id == user.team_id,
                Participant.user_id == user.user_id,
                Idea.status == IdeaStatus.OPEN,
            )
            .order_by(Idea.created_at.desc(), Idea.id.desc())
        ).unique()
    )
