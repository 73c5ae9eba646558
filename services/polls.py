"""Evaluation polls: templates, planning per think tank, deliveries, answers, reminders, closing.

Anonymity: an answer to an anonymous poll is stored under ``respondent =
HMAC-SHA256(answer key, "poll_id:participant_id")``, never with the participant's id. The person
who answers gets the same key again, so they can change their answer until the poll closes,
and one answer per person and question is a unique constraint. Reports read answers grouped by
think tank only; the one table that names people (``poll_deliveries``) says whether they
answered, not what, and anonymous answers carry no time that could be matched to it.

The key: ``COLLIDER_ANSWER_KEY`` when set. Otherwise a random key is generated on first use and
stored in ``app_secrets``, so polls work out of the box; but then someone with full database
access could recompute the hash for each participant. Deployments that promise anonymity
against database administrators too set ``COLLIDER_ANSWER_KEY`` (kept outside the database).
Earlier keys (``services/answer_keys.py``) are tried too, so a change of key loses nothing:
an answer made under one moves to the current key when the person changes it.

Every function takes ``now`` (default: the current time), so tests drive time by hand.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from i18n import t
from models import (
    DeliveryState,
    OptIn,
    Poll,
    PollAnswer,
    PollDelivery,
    PollState,
    PollTemplate,
    QuestionKind,
    Round,
    RoundStatus,
    ScheduledSend,
    ThinkTank,
)
from models.base import utcnow
from models.entities import Participant
from models.queries import dialect_insert, insert_ignoring_conflict
from services.answer_keys import AnswerKeys, note_answers_under
from services.charters import add_goal_question
from services.delivery import backoff
from services.errors import InvalidInput, NotAllowed, NotFound
from services.participants import SlackUser
from services.text import RAW_SLACK, clean_text

FIRST_POLL_AFTER = timedelta(days=14)
POLL_EVERY = timedelta(days=28)
ANSWER_WINDOW = timedelta(days=7)
# The reminder goes this long before the poll closes, to those who have not answered.
REMIND_BEFORE_CLOSE = timedelta(days=3)
MAX_QUESTIONS = 10
MAX_OPTIONS = 5
MAX_QUESTION_TEXT = 300
MAX_OPTION_TEXT = 60
MAX_TEXT_ANSWER = 2000
MAX_TEMPLATE_NAME = 80
LIKERT = ("1", "2", "3", "4", "5")

# The built-in co-creation evaluation; texts are i18n keys, so each person reads their language.
DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "met",
        "kind": QuestionKind.CHOICE.value,
        "text": {"i18n": "polls.q_met"},
        "options": [{"i18n": "polls.opt_yes"}, {"i18n": "polls.opt_no"}],
    },
    {"key": "useful", "kind": QuestionKind.LIKERT.value, "text": {"i18n": "polls.q_useful"}},
    {"key": "across", "kind": QuestionKind.LIKERT.value, "text": {"i18n": "polls.q_across"}},
    {"key": "progress", "kind": QuestionKind.LIKERT.value, "text": {"i18n": "polls.q_progress"}},
    {"key": "helped", "kind": QuestionKind.TEXT.value, "text": {"i18n": "polls.q_helped"}},
    {"key": "hard", "kind": QuestionKind.TEXT.value, "text": {"i18n": "polls.q_hard"}},
]
MET_KEY = "met"
MET_YES = "0"

_KIND_WORDS = {
    "scale": QuestionKind.LIKERT,
    "likert": QuestionKind.LIKERT,
    "asteikko": QuestionKind.LIKERT,
    "skala": QuestionKind.LIKERT,
    "choice": QuestionKind.CHOICE,
    "valinta": QuestionKind.CHOICE,
    "val": QuestionKind.CHOICE,
    "text": QuestionKind.TEXT,
    "teksti": QuestionKind.TEXT,
}
_LINE = re.compile(r"^\s*([^\W\d_]+)\s*:\s*(.+)$")


# -- respondents (the keys: services/answer_keys.py) ---------------------------------------------
def respondent_key(key: bytes, poll_id: int, participant_id: int) -> str:
    return hmac.new(key, f"{poll_id}:{participant_id}".encode(), hashlib.sha256).hexdigest()


# -- questions -----------------------------------------------------------------------------------
def label(spec: dict[str, Any], language: str) -> str:
    """A question's or option's text: an i18n key, a text per language, or one text ("*")."""
    if "i18n" in spec:
        return t(str(spec["i18n"]), language, **(spec.get("params") or {}))
    return str(spec.get(language) or spec.get("*") or "")


def question(poll: Poll, key: str) -> dict[str, Any]:
    for item in poll.questions:
        if item["key"] == key:
            return item
    raise InvalidInput("polls.bad_answer")


def parse_questions(text: str) -> list[dict[str, Any]]:
    """A facilitator's questions, one a line: ``scale: ...``, ``choice: ... | A | B``, ``text: ...``."""
    questions: list[dict[str, Any]] = []
    text = text or ""
    if len(text) > MAX_QUESTIONS * (MAX_QUESTION_TEXT + MAX_OPTIONS * MAX_OPTION_TEXT) * RAW_SLACK:
        raise InvalidInput("polls.template_too_many", field="questions", limit=MAX_QUESTIONS)
    lines = [line for line in clean_text(text).splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("polls.template_empty", field="questions")
    if len(lines) > MAX_QUESTIONS:
        raise InvalidInput("polls.template_too_many", field="questions", limit=MAX_QUESTIONS)
    for number, line in enumerate(lines, start=1):
        match = _LINE.match(line)
        kind = _KIND_WORDS.get(match.group(1).lower()) if match else None
        if match is None or kind is None:
            raise InvalidInput("polls.template_bad_line", field="questions", line=number)
        parts = [part.strip() for part in match.group(2).split("|")]
        wording, options = parts[0], [part for part in parts[1:] if part]
        if not wording or len(wording) > MAX_QUESTION_TEXT:
            raise InvalidInput(
                "polls.template_bad_text", field="questions", line=number, limit=MAX_QUESTION_TEXT
            )
        if kind is QuestionKind.CHOICE and not 2 <= len(options) <= MAX_OPTIONS:
            raise InvalidInput(
                "polls.template_bad_options", field="questions", line=number, limit=MAX_OPTIONS
            )
        if kind is not QuestionKind.CHOICE and options:
            raise InvalidInput("polls.template_options_only_choice", field="questions", line=number)
        if any(len(option) > MAX_OPTION_TEXT for option in options):
            raise InvalidInput(
                "polls.template_bad_text", field="questions", line=number, limit=MAX_OPTION_TEXT
            )
        item: dict[str, Any] = {"key": f"q{number}", "kind": kind.value, "text": {"*": wording}}
        if options:
            item["options"] = [{"*": option} for option in options]
        questions.append(item)
    return questions


def create_template(session: Session, user: SlackUser, name: str, text: str) -> PollTemplate:
    name = name or ""
    if len(name) > MAX_TEMPLATE_NAME * RAW_SLACK:
        raise InvalidInput("polls.template_bad_name", field="name")
    name = clean_text(name, one_line=True)
    if not name or len(name) > MAX_TEMPLATE_NAME:
        raise InvalidInput("polls.template_bad_name", field="name")
    questions = parse_questions(text)
    existing = session.scalars(
        select(PollTemplate).where(PollTemplate.team_id == user.team_id, PollTemplate.name == name)
    ).one_or_none()
    if existing is not None:
        raise InvalidInput("polls.template_exists", field="name", name=name)
    template = PollTemplate(
        team_id=user.team_id, name=name, questions=questions, created_by=user.user_id
    )
    session.add(template)
    session.flush()
    return template


def templates(session: Session, team_id: str) -> list[PollTemplate]:
    return list(
        session.scalars(
            select(PollTemplate).where(PollTemplate.team_id == team_id).order_by(PollTemplate.name)
        )
    )


# -- planning ------------------------------------------------------------------------------------
def _window(opens_at: datetime, window: timedelta) -> tuple[datetime, datetime | None]:
    closes_at = opens_at + window
    remind_at = closes_at - REMIND_BEFORE_CLOSE if window > REMIND_BEFORE_CLOSE else None
    return closes_at, remind_at


def plan_polls(session: Session, now: datetime | None = None) -> list[Poll]:
    """Plan the next evaluation of every active, started think tank (2 weeks in, then every 4).

    Only the next poll of a tank is planned. After downtime, occurrences whose answer window
    already passed are skipped rather than sent late in a row; one still open is sent.
    """
    now = now or utcnow()
    tanks = session.scalars(
        select(ThinkTank)
        .join(Round, Round.id == ThinkTank.round_id)
        .where(
            ThinkTank.active.is_(True),
            ThinkTank.started_at.is_not(None),
            Round.status.in_((RoundStatus.CONFIRMED, RoundStatus.COMPLETED)),
        )
    ).all()
    planned = []
    for tank in tanks:
        latest = session.scalars(
            select(Poll)
            .where(Poll.think_tank_id == tank.id, Poll.sequence.is_not(None))
            .order_by(Poll.sequence.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.state is PollState.SCHEDULED:
            continue
        if latest is not None and latest.opens_at > now:
            continue
        started = tank.started_at
        assert started is not None
        sequence = (latest.sequence or 0) + 1 if latest else 1
        opens_at = started + FIRST_POLL_AFTER + (sequence - 1) * POLL_EVERY
        while opens_at + ANSWER_WINDOW <= now:
            sequence += 1
            opens_at += POLL_EVERY
        closes_at, remind_at = _window(opens_at, ANSWER_WINDOW)
        values = {
            "team_id": tank.round.team_id,
            "questions": DEFAULT_QUESTIONS,
            "think_tank_id": tank.id,
            "round_id": tank.round_id,
            "sequence": sequence,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "remind_at": remind_at,
            "anonymous": True,
            "state": PollState.SCHEDULED.value,
            "created_by": tank.round.confirmed_by or tank.round.created_by,
            "created_at": now,
            "failures_reported": False,
        }
        # Concurrent sweeps plan the same (tank, sequence): the unique constraint keeps one.
        if insert_ignoring_conflict(session, Poll.__table__, values):  # type: ignore[arg-type]
            poll = session.scalars(
                select(Poll).where(Poll.think_tank_id == tank.id, Poll.sequence == sequence)
            ).one()
            planned.append(poll)
    return planned


@dataclass(frozen=True)
class AdHocPoll:
    round_id: int
    think_tank_number: int | None = None
    template_id: int | None = None
    days: int = 7
    anonymous: bool = True

    def validate(self) -> AdHocPoll:
        if not 1 <= self.days <= 30:
            raise InvalidInput("polls.bad_days", field="days", value=self.days)
        return self


def create_adhoc_poll(
    session: Session, user: SlackUser, request: AdHocPoll, now: datetime | None = None
) -> Poll:
    """A poll that opens at once, for one think tank of a round or all of it."""
    now = now or utcnow()
    request.validate()
    round_ = session.get(Round, request.round_id)
    if round_ is None or round_.team_id != user.team_id or not round_.think_tanks:
        raise NotFound("polls.no_such_round", round=request.round_id)
    tank_id = None
    if request.think_tank_number is not None:
        tank = next((t for t in round_.think_tanks if t.number == request.think_tank_number), None)
        if tank is None:
            raise InvalidInput("polls.no_such_tank", field="tank", number=request.think_tank_number)
        tank_id = tank.id
    questions, title = DEFAULT_QUESTIONS, None
    if request.template_id is not None:
        template = session.get(PollTemplate, request.template_id)
        if template is None or template.team_id != user.team_id:
            raise InvalidInput("polls.no_such_template", field="template")
        questions, title = template.questions, template.name
    closes_at, remind_at = _window(now, timedelta(days=request.days))
    poll = Poll(
        team_id=user.team_id,
        template_id=request.template_id,
        questions=questions,
        title=title,
        think_tank_id=tank_id,
        round_id=round_.id,
        opens_at=now,
        closes_at=closes_at,
        remind_at=remind_at,
        anonymous=request.anonymous,
        state=PollState.SCHEDULED,
        created_by=user.user_id,
        created_at=now,
    )
    session.add(poll)
    session.flush()
    return poll


# -- opening, reminding, closing -----------------------------------------------------------------
def _recipients(session: Session, poll: Poll) -> list[tuple[int, int]]:
    """(participant id, think tank id) of everyone the poll asks."""
    tanks: Sequence[ThinkTank]
    if poll.think_tank_id is not None:
        tank = session.get(ThinkTank, poll.think_tank_id)
        tanks = [tank] if tank is not None else []
    else:
        tanks = session.scalars(
            select(ThinkTank).where(ThinkTank.round_id == poll.round_id, ThinkTank.active.is_(True))
        ).all()
    people = []
    for tank in tanks:
        for member in tank.members:
            if member.unreachable or member.participant.opt_in is OptIn.OUT:
                continue
            people.append((member.participant_id, tank.id))
    return people


def open_poll(session: Session, poll: Poll) -> int:
    """Mark the poll open and create its deliveries (idempotent); how many were created."""
    created = 0
    if poll.state is not PollState.OPEN:
        add_goal_question(session, poll)  # the think tank's own goal, from its charter
    for participant_id, tank_id in _recipients(session, poll):
        created += insert_ignoring_conflict(
            session,
            PollDelivery.__table__,  # type: ignore[arg-type]
            {
                "poll_id": poll.id,
                "participant_id": participant_id,
                "think_tank_id": tank_id,
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "answered": False,
            },
        )
    poll.state = PollState.OPEN
    return created


def open_due_polls(session: Session, now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    due = session.scalars(
        select(Poll)
        .where(Poll.state == PollState.SCHEDULED, Poll.opens_at <= now)
        .with_for_update(skip_locked=True)
    ).all()
    opened = []
    for poll in due:
        if poll.closes_at <= now:
            poll.state = PollState.CLOSED  # its whole window passed while we were down
            continue
        open_poll(session, poll)
        opened.append(poll.id)
    return opened


def _due_deliveries(session: Session, state: DeliveryState, now: datetime) -> list[int]:
    """Deliveries in ``state`` of open polls whose next attempt (if any) is due at ``now``."""
    return list(
        session.scalars(
            select(PollDelivery.id)
            .join(Poll, Poll.id == PollDelivery.poll_id)
            .where(
                Poll.state == PollState.OPEN,
                Poll.closes_at > now,
                PollDelivery.state == state,
                (PollDelivery.next_attempt_at.is_(None)) | (PollDelivery.next_attempt_at <= now),
            )
            .order_by(PollDelivery.id)
        )
    )


def deliveries_to_send(session: Session, now: datetime | None = None) -> list[int]:
    return _due_deliveries(session, DeliveryState.PENDING, now or utcnow())


# A post that timed out may still land; Slack is asked about it only after this long.
IN_DOUBT_CHECK_AFTER = timedelta(minutes=1)


def record_sent(session: Session, delivery_id: int, channel: str, ts: str) -> None:
    delivery = session.get(PollDelivery, delivery_id)
    assert delivery is not None
    delivery.state, delivery.channel, delivery.ts, delivery.error = (
        DeliveryState.SENT,
        channel,
        ts,
        None,
    )
    delivery.attempts += 1


def record_failure(
    session: Session,
    delivery_id: int,
    code: str,
    *,
    for_good: bool,
    in_doubt: bool = False,
    now: datetime | None = None,
    retry_after: float | None = None,
) -> None:
    """Count a failed attempt: in doubt (checked later), failed ``for_good``, or tried again
    after a growing pause (at least ``retry_after`` seconds when Slack asked for one)."""
    delivery = session.get(PollDelivery, delivery_id)
    assert delivery is not None
    delivery.attempts += 1
    delivery.error = code[:255]
    if in_doubt:
        # Checked against Slack by a later sweep, once a late post would have landed.
        delivery.state = DeliveryState.IN_DOUBT
        delivery.next_attempt_at = (now or utcnow()) + IN_DOUBT_CHECK_AFTER
    elif for_good:
        delivery.state = DeliveryState.FAILED
    else:
        pause = max(backoff(delivery.attempts), timedelta(seconds=retry_after or 0))
        delivery.next_attempt_at = (now or utcnow()) + pause


def deliveries_to_check(session: Session, now: datetime | None = None) -> list[int]:
    """In-doubt deliveries of open polls whose check against Slack is due."""
    return _due_deliveries(session, DeliveryState.IN_DOUBT, now or utcnow())


def postpone_check(session: Session, delivery_id: int, now: datetime) -> None:
    delivery = session.get(PollDelivery, delivery_id)
    assert delivery is not None
    delivery.next_attempt_at = now + IN_DOUBT_CHECK_AFTER


def retry_delivery(session: Session, delivery_id: int) -> None:
    """Slack did not post an in-doubt delivery: send it again."""
    delivery = session.get(PollDelivery, delivery_id)
    assert delivery is not None
    delivery.state, delivery.next_attempt_at = DeliveryState.PENDING, None


def due_reminders(session: Session, now: datetime | None = None) -> list[int]:
    """Deliveries whose poll asks for its reminder now and whose person has not answered."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(PollDelivery.id)
            .join(Poll, Poll.id == PollDelivery.poll_id)
            .where(
                Poll.state == PollState.OPEN,
                Poll.remind_at.is_not(None),
                Poll.remind_at <= now,
                Poll.closes_at > now,
                PollDelivery.state == DeliveryState.SENT,
                PollDelivery.answered.is_(False),
                PollDelivery.reminded_at.is_(None),
            )
            .order_by(PollDelivery.id)
        )
    )


def close_due_polls(session: Session, now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    closed = list(
        session.scalars(
            update(Poll)
            .where(Poll.state == PollState.OPEN, Poll.closes_at <= now)
            .values(state=PollState.CLOSED)
            .returning(Poll.id)
        )
    )
    forget_who_answered(session, closed)
    return closed


def forget_who_answered(session: Session, poll_ids: Sequence[int]) -> None:
    """Once a poll closes, nothing says who answered it: reminders were all that needed it.

    In a think tank with one or two answers, ``answered`` (and who was reminded, or the
    outbox row of their reminder) would tell a database reader whose answers they are.
    """
    if not poll_ids:
        return
    session.execute(
        update(PollDelivery)
        .where(PollDelivery.poll_id.in_(poll_ids))
        .values(answered=False, reminded_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(ScheduledSend)
        .where(or_(*(ScheduledSend.key.like(f"poll:{poll_id}:remind:%") for poll_id in poll_ids)))
        .execution_options(synchronize_session=False)
    )


def unreported_failures(session: Session) -> dict[int, list[PollDelivery]]:
    """Permanent failures per poll not yet told to facilitators (one report per poll)."""
    rows = session.scalars(
        select(PollDelivery)
        .join(Poll, Poll.id == PollDelivery.poll_id)
        .where(
            Poll.failures_reported.is_(False),
            Poll.state != PollState.SCHEDULED,
            PollDelivery.state.in_((DeliveryState.FAILED, DeliveryState.IN_DOUBT)),
        )
        .order_by(PollDelivery.id)
    ).all()
    found: dict[int, list[PollDelivery]] = {}
    for delivery in rows:
        # Wait until nobody in the poll is still pending, so facilitators get one full list;
        # in-doubt posts of an open poll are still being checked against Slack.
        unsettled = [DeliveryState.PENDING]
        if delivery.poll.state is PollState.OPEN:
            unsettled.append(DeliveryState.IN_DOUBT)
        pending = session.scalar(
            select(PollDelivery.id).where(
                PollDelivery.poll_id == delivery.poll_id,
                PollDelivery.state.in_(unsettled),
            )
        )
        if pending is None:
            found.setdefault(delivery.poll_id, []).append(delivery)
    return found


# -- answering -----------------------------------------------------------------------------------
def _delivery_for(session: Session, poll_id: int, user: SlackUser) -> tuple[Poll, PollDelivery]:
    """The poll and its delivery to ``user``, in one statement (every answer click reads them)."""
    found = session.execute(
        select(Poll, PollDelivery)
        .join(PollDelivery, PollDelivery.poll_id == Poll.id)
        .join(Participant, Participant.id == PollDelivery.participant_id)
        .where(
            Poll.id == poll_id,
            Poll.team_id == user.team_id,
            Participant.team_id == user.team_id,
            Participant.user_id == user.user_id,
        )
    ).one_or_none()
    if found is None:
        raise NotAllowed("polls.not_yours")
    poll, delivery = found
    return poll, delivery


def _check_value(item: dict[str, Any], value: str) -> str:
    kind = QuestionKind(item["kind"])
    if kind is QuestionKind.LIKERT and value in LIKERT:
        return value
    if kind is QuestionKind.CHOICE and value in {str(i) for i in range(len(item["options"]))}:
        return value
    if kind is QuestionKind.TEXT:
        # Measured before cleaning too: a hostile client can send any size.
        text = clean_text(value[: MAX_TEXT_ANSWER * RAW_SLACK + 1])
        if len(text) > MAX_TEXT_ANSWER or len(value) > MAX_TEXT_ANSWER * RAW_SLACK:
            raise InvalidInput("polls.answer_too_long", field=item["key"], limit=MAX_TEXT_ANSWER)
        return text
    raise InvalidInput("polls.bad_answer")


def record_answers(
    session: Session,
    poll_id: int,
    user: SlackUser,
    answers: dict[str, str],
    keys: AnswerKeys,
    now: datetime | None = None,
) -> tuple[Poll, dict[str, str]]:
    """Save (or change) this person's answers; their answers so far, by question key.

    Raises ``NotAllowed`` when the poll was not sent to them, ``InvalidInput`` when it closed or
    a value does not fit its question. An empty text answer removes that answer. Answers made
    under an earlier key move to the current one (still one respondent, not two).
    """
    now = now or utcnow()
    poll, delivery = _delivery_for(session, poll_id, user)
    if not is_open(poll, now):
        raise InvalidInput("polls.closed")
    checked = {name: _check_value(question(poll, name), value) for name, value in answers.items()}
    theirs = _respondents(poll.id, delivery.participant_id, keys)
    for name, value in checked.items():
        if not value:
            session.execute(
                delete(PollAnswer).where(
                    PollAnswer.poll_id == poll.id,
                    PollAnswer.respondent.in_(theirs),
                    PollAnswer.question_key == name,
                )
            )
            continue
        # One statement, new or changed: a double click that raced us updates the row its
        # twin inserted (the unique key waits for it).
        upsert_answer = dialect_insert(session)(PollAnswer).values(
            poll_id=poll.id,
            respondent=theirs[0],
            think_tank_id=delivery.think_tank_id,
            question_key=name,
            value=value,
            participant_id=None if poll.anonymous else delivery.participant_id,
        )
        session.execute(
            upsert_answer.on_conflict_do_update(
                index_elements=["poll_id", "respondent", "question_key"],
                set_={"value": upsert_answer.excluded.value},
            )
        )
    note_answers_under(session, keys)
    rows = _answer_rows(session, poll.id, theirs)
    current = _latest(rows, theirs)
    if any(row.respondent != theirs[0] for row in rows):
        _move_to_current_key(session, rows, current, theirs[0])
    delivery.answered = bool(current)
    return poll, {name: row.value for name, row in current.items()}


def _respondents(poll_id: int, participant_id: int, keys: AnswerKeys) -> list[str]:
    """Whom the person's answers are stored under: the current key's respondent first."""
    return [respondent_key(key, poll_id, participant_id) for key in keys.all]


def _answer_rows(session: Session, poll_id: int, respondents: Sequence[str]) -> list[Row[Any]]:
    return list(
        session.execute(
            select(
                PollAnswer.id, PollAnswer.respondent, PollAnswer.question_key, PollAnswer.value
            ).where(PollAnswer.poll_id == poll_id, PollAnswer.respondent.in_(respondents))
        )
    )


def _latest(rows: Sequence[Row[Any]], respondents: Sequence[str]) -> dict[str, Row[Any]]:
    """One answer per question: the one under the newest key (the current key's first)."""
    order = {respondent: rank for rank, respondent in enumerate(respondents)}
    chosen: dict[str, Row[Any]] = {}
    for row in sorted(rows, key=lambda row: order[row.respondent]):
        chosen.setdefault(row.question_key, row)
    return chosen


def _move_to_current_key(
    session: Session, rows: Sequence[Row[Any]], kept: dict[str, Row[Any]], respondent: str
) -> None:
    """Answers under earlier keys: the ones kept move to the current key, the rest (an
    answer given again since) go, so the person is one respondent again."""
    keep = {row.id for row in kept.values()}
    dropped = [row.id for row in rows if row.id not in keep]
    moved = [row.id for row in kept.values() if row.respondent != respondent]
    if dropped:
        session.execute(delete(PollAnswer).where(PollAnswer.id.in_(dropped)))
    if moved:
        session.execute(
            update(PollAnswer)
            .where(PollAnswer.id.in_(moved))
            .values(respondent=respondent)
            .execution_options(synchronize_session=False)
        )


def own_answers(
    session: Session, poll: Poll, participant_id: int, keys: AnswerKeys
) -> dict[str, str]:
    theirs = _respondents(poll.id, participant_id, keys)
    chosen = _latest(_answer_rows(session, poll.id, theirs), theirs)
    return {name: row.value for name, row in chosen.items()}


def answers_of(
    session: Session, poll_id: int, user: SlackUser, keys: AnswerKeys
) -> tuple[Poll, dict[str, str]]:
    """The person's own answers to a poll sent to them (to draw their message or modal)."""
    poll, delivery = _delivery_for(session, poll_id, user)
    return poll, own_answers(session, poll, delivery.participant_id, keys)


def is_open(poll: Poll, now: datetime | None = None) -> bool:
    return poll.state is PollState.OPEN and poll.closes_at > (now or utcnow())


def message_of(session: Session, poll_id: int, user: SlackUser) -> tuple[str | None, str | None]:
    """Where the poll message sent to this person is (channel, ts), to redraw it."""
    _, delivery = _delivery_for(session, poll_id, user)
    return delivery.channel, delivery.ts


# -- for the App Home ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PendingPoll:
    poll_id: int
    title: str | None
    closes_at: datetime
    answered: bool
    channel: str | None
    ts: str | None


def pending_polls(
    session: Session, participant: Participant, now: datetime | None = None
) -> list[PendingPoll]:
    """Open polls sent to this person, soonest closing first (for the App Home)."""
    now = now or utcnow()
    rows = session.execute(
        select(Poll, PollDelivery)
        .join(PollDelivery, PollDelivery.poll_id == Poll.id)
        .where(
            PollDelivery.participant_id == participant.id,
            PollDelivery.state == DeliveryState.SENT,
            Poll.state == PollState.OPEN,
            Poll.closes_at > now,
        )
        .order_by(Poll.closes_at)
    ).all()
    return [
        PendingPoll(
            poll.id, poll.title, poll.closes_at, delivery.answered, delivery.channel, delivery.ts
        )
        for poll, delivery in rows
    ]


def find_rounds(
    session: Session, team_id: str, query: str = "", limit: int = 100
) -> tuple[list[Round], int]:
    """Confirmed rounds whose number contains ``query`` (digits; empty: any), newest first:
    at most ``limit``, and how many more match."""
    wanted = query.strip().lstrip("#")
    conditions = [
        Round.team_id == team_id,
        Round.status.in_((RoundStatus.CONFIRMED, RoundStatus.COMPLETED)),
    ]
    if wanted and not wanted.isdigit():
        return [], 0
    if wanted:
        conditions.append(cast(Round.id, String).contains(wanted))
    found = list(
        session.scalars(select(Round).where(*conditions).order_by(Round.id.desc()).limit(limit))
    )
    total = session.scalar(select(func.count(Round.id)).where(*conditions)) or 0
    return found, max(0, total - len(found))


def find_templates(
    session: Session, team_id: str, query: str = "", limit: int = 100
) -> tuple[list[PollTemplate], int]:
    """Templates whose name contains ``query`` (ignoring case), by name: at most ``limit``,
    and how many more match."""
    wanted = clean_text(query).casefold()
    found = [
        template for template in templates(session, team_id) if wanted in template.name.casefold()
    ]
    return found[:limit], max(0, len(found) - limit)
