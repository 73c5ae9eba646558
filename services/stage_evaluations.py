"""Evaluating the process, stage by stage: when an idea moves on, everyone involved is asked
about the stage just finished (what it gave, what was hard, what succeeded, and 1-5 for the
collaboration across organisations).

Anonymous under the same rules as polls (``services/polls.py``): the answer is stored under
``HMAC(answer key, "stage:evaluation_id:participant_id")``, the invite only says whether the
person answered, and reports leave out any evaluation with fewer than three answers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Experiment,
    IdeaStage,
    InviteState,
    Participant,
    Stage,
    StageEvaluation,
    StageEvaluationAnswer,
    StageEvaluationInvite,
)
from models.queries import find_participant, insert_ignoring_conflict
from services.errors import InvalidInput, NotAllowed, NotFound
from services.experiments import people_of_idea, think_tank_of_idea
from services.participants import SlackUser
from services.text import clean_text

logger = logging.getLogger(__name__)

MAX_ANSWER = 1500
MIN_ANSWERS = 3  # the same threshold as poll reports
# The path forward; a move to a later stage (or to stopped) finishes the stage before it.
ORDER = (Stage.IDEA, Stage.THINK_TANK, Stage.EXPERIMENT, Stage.PILOT, Stage.ADOPTED)


def finishes_stage(previous: Stage, new: Stage) -> bool:
    # The idea stage is one person writing; the process worth evaluating starts with the group.
    if previous in (Stage.IDEA, Stage.ADOPTED, Stage.STOPPED):
        return False
    if new is Stage.STOPPED:
        return True
    return ORDER.index(new) > ORDER.index(previous)


def respondent_key(key: bytes, evaluation_id: int, participant_id: int) -> str:
    message = f"stage:{evaluation_id}:{participant_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def open_evaluation(
    session: Session, team_id: str, change: IdeaStage, previous: Stage
) -> StageEvaluation | None:
    """Ask everyone involved in the idea about the stage ``change`` finished (once per move)."""
    if not finishes_stage(previous, change.stage):
        return None
    existing = session.scalar(
        select(StageEvaluation).where(StageEvaluation.idea_stage_id == change.id)
    )
    if existing is not None:
        return existing
    experiment_id = session.scalar(
        select(Experiment.id)
        .where(Experiment.idea_id == change.idea_id)
        .order_by(Experiment.id.desc())
        .limit(1)
    )
    evaluation = StageEvaluation(
        team_id=team_id,
        idea_id=change.idea_id,
        idea_stage_id=change.id,
        experiment_id=experiment_id if previous in ORDER[2:] else None,
        stage=previous,
        next_stage=change.stage,
    )
    session.add(evaluation)
    session.flush()
    for person in people_of_idea(
        session, change.idea_id, think_tank_of_idea(session, change.idea_id)
    ):
        insert_ignoring_conflict(
            session,
            StageEvaluationInvite.__table__,  # type: ignore[arg-type]
            {
                "evaluation_id": evaluation.id,
                "participant_id": person.id,
                "state": InviteState.PENDING.value,
                "answered": False,
            },
        )
    return evaluation


@dataclass(frozen=True)
class Invitee:
    invite_id: int
    user_id: str
    participant: Participant


def pending_invites(session: Session, evaluation_id: int) -> list[Invitee]:
    rows = session.execute(
        select(StageEvaluationInvite, Participant)
        .join(Participant, Participant.id == StageEvaluationInvite.participant_id)
        .where(
            StageEvaluationInvite.evaluation_id == evaluation_id,
            StageEvaluationInvite.state == InviteState.PENDING,
            Participant.forgotten_at.is_(None),
        )
        .order_by(StageEvaluationInvite.id)
    ).all()
    return [Invitee(invite.id, person.user_id, person) for invite, person in rows]


def mark_invite(session: Session, invite_id: int, state: InviteState) -> None:
    invite = session.get(StageEvaluationInvite, invite_id)
    if invite is not None:
        invite.state = state


def invitation(
    session: Session, evaluation_id: int, user: SlackUser
) -> tuple[StageEvaluation, StageEvaluationInvite]:
    """The evaluation and the person's invite; NotAllowed for anyone not asked."""
    evaluation = session.get(StageEvaluation, evaluation_id)
    if evaluation is None or evaluation.team_id != user.team_id:
        raise NotFound("programme.evaluation_not_found")
    participant = find_participant(session, user.team_id, user.user_id)
    invite = (
        session.scalar(
            select(StageEvaluationInvite).where(
                StageEvaluationInvite.evaluation_id == evaluation_id,
                StageEvaluationInvite.participant_id == participant.id,
            )
        )
        if participant is not None
        else None
    )
    if invite is None or participant is None:
        raise NotAllowed("programme.not_invited")
    return evaluation, invite


@dataclass(frozen=True)
class EvaluationInput:
    gave: str | None
    hard: str | None
    succeeded: str | None
    rating: str | None


def own_answer(
    session: Session, evaluation_id: int, user: SlackUser, key: bytes
) -> StageEvaluationAnswer | None:
    _, invite = invitation(session, evaluation_id, user)
    respondent = respondent_key(key, evaluation_id, invite.participant_id)
    return session.scalar(
        select(StageEvaluationAnswer).where(
            StageEvaluationAnswer.evaluation_id == evaluation_id,
            StageEvaluationAnswer.respondent == respondent,
        )
    )


def _text(value: str | None, field: str) -> str:
    text = clean_text(value).strip()
    if len(text) > MAX_ANSWER:
        raise InvalidInput("errors.too_long", field=field, limit=MAX_ANSWER, length=len(text))
    return text


def record_evaluation(
    session: Session, evaluation_id: int, user: SlackUser, data: EvaluationInput, key: bytes
) -> StageEvaluation:
    """Store (or replace) the person's anonymous answer."""
    texts = {name: _text(getattr(data, name), name) for name in ("gave", "hard", "succeeded")}
    if data.rating not in ("1", "2", "3", "4", "5"):
        raise InvalidInput("programme.rating_required", field="rating")
    evaluation, invite = invitation(session, evaluation_id, user)
    respondent = respondent_key(key, evaluation_id, invite.participant_id)
    answer = own_answer(session, evaluation_id, user, key)
    if answer is None:
        answer = StageEvaluationAnswer(evaluation_id=evaluation_id, respondent=respondent)
        session.add(answer)
    answer.gave, answer.hard, answer.succeeded = texts["gave"], texts["hard"], texts["succeeded"]
    answer.rating = int(data.rating)
    invite.answered = True
    session.flush()
    return evaluation
