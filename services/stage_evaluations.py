"""Evaluating the process, stage by stage: when an idea moves on, everyone involved is asked
about the stage just finished (what it gave, what was hard, what succeeded, and 1-5 for the
collaboration across organisations).

Anonymous under the same rules as polls (``services/polls.py``): the answer is stored under
``HMAC(answer key, "stage:evaluation_id:participant_id")``, the invite only says whether the
person answered, and reports leave out any evaluation with fewer than three answers.

An evaluation is open for ``EVALUATION_OPEN_FOR`` (two weeks). Until then an invitation Slack
did not take is tried again after a growing pause, at most ``MAX_INVITE_ATTEMPTS`` times; when
it closes, invitations still unsent are recorded as failed, answers are no longer taken, and
``answered`` is erased from every invite, as polls do at their close (``forget_who_answered``):
with two answers, "who answered" would tell whose answers they are. The answers themselves stay
(their count and ratings are what reports need).

Once no invitation is waiting any more (each was sent or failed, at the latest at the close),
the facilitator who moved the idea is told, once, which could not be delivered and to whom
(``claim_failure_report``), or the workspace's facilitators when the mover cannot be (forgotten,
or their DM fails for good): invitations are not anonymous, answers are, so who answered is
never part of it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from models import (
    EVALUATION_OPEN_FOR,
    Experiment,
    Idea,
    IdeaStage,
    InviteState,
    Participant,
    Stage,
    StageEvaluation,
    StageEvaluationAnswer,
    StageEvaluationInvite,
)
from models.base import utcnow
from models.queries import find_participant, insert_ignoring_conflict
from services.answer_keys import AnswerKeys, note_answers_under
from services.delivery import backoff
from services.errors import InvalidInput, NotAllowed, NotFound
from services.experiments import people_of_idea, think_tank_of_idea
from services.outgoing import Addressee, InvitationFailures, NotReached
from services.participants import SlackUser
from services.text import clean_text

logger = logging.getLogger(__name__)

MAX_ANSWER = 1500
MIN_ANSWERS = 3  # the same threshold as poll reports
# The path forward; a move to a later stage (or to stopped) finishes the stage before it.
ORDER = (Stage.IDEA, Stage.THINK_TANK, Stage.EXPERIMENT, Stage.PILOT, Stage.ADOPTED)
# Sends Slack did not take are tried this often at most (1, 2, 4 ... 60 minutes apart: about
# four hours in all), and never after the evaluation closes.
MAX_INVITE_ATTEMPTS = 10
# Why an invitation still unsent when its evaluation closed was given up.
CLOSED_UNSENT = "evaluation_closed"
# Why someone involved who is not in Slack (imported) was not invited there.
NOT_IN_SLACK = "not_in_slack"


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
        closes_at=utcnow() + EVALUATION_OPEN_FOR,
    )
    session.add(evaluation)
    session.flush()
    for person in people_of_idea(
        session, change.idea_id, think_tank_of_idea(session, change.idea_id)
    ):
        # Someone not in Slack (imported) is never messaged: recorded as not reached at once,
        # so the facilitator is told to ask them in person.
        offline = person.is_offline
        insert_ignoring_conflict(
            session,
            StageEvaluationInvite.__table__,  # type: ignore[arg-type]
            {
                "evaluation_id": evaluation.id,
                "participant_id": person.id,
                "state": (InviteState.FAILED if offline else InviteState.PENDING).value,
                "answered": False,
                "error": NOT_IN_SLACK if offline else None,
            },
        )
    return evaluation


@dataclass(frozen=True)
class Invitee:
    invite_id: int
    user_id: str
    participant: Participant


def _due(now: datetime) -> list[ColumnElement[bool]]:
    """Pending invites of open evaluations whose next try (if any) has come."""
    return [
        StageEvaluationInvite.state == InviteState.PENDING,
        (StageEvaluationInvite.next_attempt_at.is_(None))
        | (StageEvaluationInvite.next_attempt_at <= now),
        StageEvaluation.closed_at.is_(None),
        StageEvaluation.closes_at > now,
    ]


def pending_invites(
    session: Session, evaluation_id: int, now: datetime | None = None
) -> list[Invitee]:
    """The evaluation's invitations to send now: never sent, or due to be tried again."""
    rows = session.execute(
        select(StageEvaluationInvite, Participant)
        .join(StageEvaluation, StageEvaluation.id == StageEvaluationInvite.evaluation_id)
        .join(Participant, Participant.id == StageEvaluationInvite.participant_id)
        .where(
            StageEvaluationInvite.evaluation_id == evaluation_id,
            Participant.forgotten_at.is_(None),
            Participant.is_offline.is_(False),
            *_due(now or utcnow()),
        )
        .order_by(StageEvaluationInvite.id)
    ).all()
    return [Invitee(invite.id, person.user_id, person) for invite, person in rows]


def evaluations_to_retry(session: Session, now: datetime | None = None) -> list[int]:
    """Open evaluations with an invitation that Slack did not take and that is due again."""
    return list(
        session.scalars(
            select(StageEvaluationInvite.evaluation_id)
            .join(StageEvaluation, StageEvaluation.id == StageEvaluationInvite.evaluation_id)
            .where(*_due(now or utcnow()))
            .group_by(StageEvaluationInvite.evaluation_id)
            .order_by(StageEvaluationInvite.evaluation_id)
        )
    )


@dataclass(frozen=True)
class Attempt:
    """What became of one try to send an invitation."""

    sent: bool = False
    for_good: bool = False  # Slack will never take it (a deactivated person)
    counted: bool = True  # False when another process holds the send right now
    code: str = ""
    retry_after: float | None = None


def record_attempt(
    session: Session, invite_id: int, attempt: Attempt, now: datetime | None = None
) -> InviteState:
    """Write a try onto the invite: sent; failed for good (or after the last allowed try);
    or pending, tried again after a growing pause. The invite's state afterwards."""
    invite = session.get(StageEvaluationInvite, invite_id, with_for_update=True)
    if invite is None or invite.state is not InviteState.PENDING:
        return invite.state if invite else InviteState.FAILED
    if attempt.sent:
        invite.state, invite.error, invite.next_attempt_at = InviteState.SENT, None, None
        return invite.state
    if not attempt.counted:
        return invite.state
    invite.attempts += 1
    invite.error = attempt.code[:255] or None
    if attempt.for_good or invite.attempts >= MAX_INVITE_ATTEMPTS:
        invite.state, invite.next_attempt_at = InviteState.FAILED, None
        return invite.state
    pause = max(backoff(invite.attempts), timedelta(seconds=attempt.retry_after or 0))
    invite.next_attempt_at = (now or utcnow()) + pause
    return invite.state


def close_due_evaluations(session: Session, now: datetime | None = None) -> list[int]:
    """Close the evaluations whose time is up: invitations never sent are given up, and who
    answered is forgotten (the answers, their count and ratings stay for the reports)."""
    now = now or utcnow()
    closing = list(
        session.scalars(
            update(StageEvaluation)
            .where(StageEvaluation.closed_at.is_(None), StageEvaluation.closes_at <= now)
            .values(closed_at=now)
            .returning(StageEvaluation.id)
        )
    )
    forget_who_answered(session, closing)
    return closing


def forget_who_answered(session: Session, evaluation_ids: Sequence[int]) -> None:
    if not evaluation_ids:
        return
    session.execute(
        update(StageEvaluationInvite)
        .where(
            StageEvaluationInvite.evaluation_id.in_(evaluation_ids),
            StageEvaluationInvite.state == InviteState.PENDING,
        )
        .values(state=InviteState.FAILED, error=CLOSED_UNSENT, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(StageEvaluationInvite)
        .where(StageEvaluationInvite.evaluation_id.in_(evaluation_ids))
        .values(answered=False)
        .execution_options(synchronize_session=False)
    )


def _failures_to_report() -> list[ColumnElement[bool]]:
    """An invitation was not delivered, none is waiting any more, and nobody was told yet."""
    invite = aliased(StageEvaluationInvite)  # its own, inside a query of invites too
    of_it = invite.evaluation_id == StageEvaluation.id
    return [
        StageEvaluation.failures_reported_at.is_(None),
        exists().where(of_it, invite.state == InviteState.FAILED),
        ~exists().where(of_it, invite.state == InviteState.PENDING),
    ]


def unreported_failures(session: Session) -> list[int]:
    """Evaluations whose undelivered invitations nobody was told about yet. Found from the
    failed invitations (few, and indexed by state), not by reading every evaluation."""
    invite = StageEvaluationInvite
    return list(
        session.scalars(
            select(invite.evaluation_id)
            .join(StageEvaluation, StageEvaluation.id == invite.evaluation_id)
            .where(invite.state == InviteState.FAILED, *_failures_to_report())
            .group_by(invite.evaluation_id)
            .order_by(invite.evaluation_id)
        )
    )


def claim_failure_report(session: Session, evaluation_id: int, now: datetime | None = None) -> bool:
    """Take the telling of the evaluation's undelivered invitations; False when there is nothing
    to tell (yet), or another run took it (told once)."""
    claimed = session.execute(
        update(StageEvaluation)
        .where(StageEvaluation.id == evaluation_id, *_failures_to_report())
        .values(failures_reported_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def release_failure_report(session: Session, evaluation_id: int) -> None:
    """Give the claim back: the facilitator could not be told this time (a later sweep tells)."""
    session.execute(
        update(StageEvaluation)
        .where(StageEvaluation.id == evaluation_id)
        .values(failures_reported_at=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class FailureReport:
    """What the facilitator who moved the idea is told; ``mover`` is None when they cannot be
    (they were forgotten): the workspace's facilitators are told instead."""

    team_id: str
    mover: Addressee | None
    idea_id: int
    idea_title: str
    failures: InvitationFailures


def failure_report(session: Session, evaluation_id: int) -> FailureReport:
    evaluation = session.get(StageEvaluation, evaluation_id)
    assert evaluation is not None
    change = session.get(IdeaStage, evaluation.idea_stage_id)
    not_reached = session.execute(
        select(
            Participant.user_id,
            Participant.is_offline,
            Participant.display_name,
            StageEvaluationInvite.error,
        )
        .join(Participant, Participant.id == StageEvaluationInvite.participant_id)
        .where(
            StageEvaluationInvite.evaluation_id == evaluation_id,
            StageEvaluationInvite.state == InviteState.FAILED,
        )
        .order_by(StageEvaluationInvite.id)
    ).all()
    invited = session.scalar(
        select(func.count()).where(StageEvaluationInvite.evaluation_id == evaluation_id)
    )
    return FailureReport(
        team_id=evaluation.team_id,
        mover=mover_of(session, change),
        idea_id=evaluation.idea_id,
        idea_title=session.scalar(select(Idea.title).where(Idea.id == evaluation.idea_id)) or "",
        failures=InvitationFailures(
            evaluation_id=evaluation_id,
            stage=evaluation.stage,
            invited=int(invited or 0),
            not_reached=tuple(
                NotReached(None, error or "", name) if offline else NotReached(user_id, error or "")
                for user_id, offline, name, error in not_reached
            ),
        ),
    )


def mover_of(session: Session, change: IdeaStage | None) -> Addressee | None:
    """The facilitator who made the stage move, to be told what of it Slack did not take; None
    when they cannot be (they asked to be forgotten: ``changed_by_id`` is cleared then)."""
    mover = (
        session.get(Participant, change.changed_by_id) if change and change.changed_by_id else None
    )
    if mover is None or mover.forgotten_at is not None or mover.is_offline:
        return None
    return Addressee(mover.user_id, mover.id)


def is_open(evaluation: StageEvaluation, now: datetime | None = None) -> bool:
    return evaluation.closed_at is None and evaluation.closes_at > (now or utcnow())


def invitation(
    session: Session, evaluation_id: int, user: SlackUser
) -> tuple[StageEvaluation, StageEvaluationInvite]:
    """The evaluation and the person's invite; NotAllowed for anyone not asked."""
    evaluation = session.get(StageEvaluation, evaluation_id)
    if evaluation is None or evaluation.team_id != user.team_id:
        raise NotFound("programme.evaluation_not_found")
    if not is_open(evaluation):
        raise NotAllowed("programme.evaluation_closed")
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
    session: Session, evaluation_id: int, user: SlackUser, keys: AnswerKeys
) -> StageEvaluationAnswer | None:
    _, invite = invitation(session, evaluation_id, user)
    found = _answers_under(session, evaluation_id, invite.participant_id, keys)
    return found[0] if found else None


def _answers_under(
    session: Session, evaluation_id: int, participant_id: int, keys: AnswerKeys
) -> list[StageEvaluationAnswer]:
    """The person's answers under each key, the newest key's first (more than one only when
    an earlier key was not tried when they answered again)."""
    theirs = [respondent_key(key, evaluation_id, participant_id) for key in keys.all]
    found = session.scalars(
        select(StageEvaluationAnswer).where(
            StageEvaluationAnswer.evaluation_id == evaluation_id,
            StageEvaluationAnswer.respondent.in_(theirs),
        )
    )
    return sorted(found, key=lambda answer: theirs.index(answer.respondent))


def _text(value: str | None, field: str) -> str:
    text = clean_text(value).strip()
    if len(text) > MAX_ANSWER:
        raise InvalidInput("errors.too_long", field=field, limit=MAX_ANSWER, length=len(text))
    return text


def record_evaluation(
    session: Session, evaluation_id: int, user: SlackUser, data: EvaluationInput, keys: AnswerKeys
) -> StageEvaluation:
    """Store (or replace) the person's anonymous answer."""
    texts = {name: _text(getattr(data, name), name) for name in ("gave", "hard", "succeeded")}
    if data.rating not in ("1", "2", "3", "4", "5"):
        raise InvalidInput("programme.rating_required", field="rating")
    evaluation, invite = invitation(session, evaluation_id, user)
    found = _answers_under(session, evaluation_id, invite.participant_id, keys)
    answer = found[0] if found else StageEvaluationAnswer(evaluation_id=evaluation_id)
    if not found:
        session.add(answer)
    for twin in found[1:]:
        session.delete(twin)  # one person, one answer
    # An answer made under an earlier key moves to the current one.
    answer.respondent = respondent_key(keys.current, evaluation_id, invite.participant_id)
    note_answers_under(session, keys)
    answer.gave, answer.hard, answer.succeeded = texts["gave"], texts["hard"], texts["succeeded"]
    answer.rating = int(data.rating)
    invite.answered = True
    session.flush()
    return evaluation
