"""Issue 11, item 3: once a poll closes nothing says who answered it, and export-polls shows no
think tank below the reports' three-answer threshold."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import (
    DeliveryState,
    Participant,
    Poll,
    PollAnswer,
    PollDelivery,
    PollState,
    Round,
    RoundStatus,
    ScheduledSend,
    ThinkTank,
)
from models.base import utcnow
from models.db import Database
from services.poll_export import answer_rows
from services.polls import DEFAULT_QUESTIONS, close_due_polls, respondent_key

TEAM = "T0ANON"
KEY = b"a" * 32


def poll_with_answers(database: Database, answering: int, asked: int = 4) -> int:
    """An open poll of one think tank: ``asked`` people, the first ``answering`` answered."""
    now = utcnow()
    with database.session() as s:
        round_ = Round(team_id=TEAM, status=RoundStatus.COMPLETED, created_by="UFACIL")
        s.add(round_)
        s.flush()
        tank = ThinkTank(round_id=round_.id, number=1)
        s.add(tank)
        s.flush()
        poll = Poll(
            team_id=TEAM,
            questions=DEFAULT_QUESTIONS,
            round_id=round_.id,
            think_tank_id=tank.id,
            opens_at=now - timedelta(days=8),
            closes_at=now - timedelta(minutes=1),
            state=PollState.OPEN,
            created_by="UFACIL",
        )
        s.add(poll)
        s.flush()
        for number in range(asked):
            person = Participant(team_id=TEAM, user_id=f"UANON{poll.id}x{number}")
            s.add(person)
            s.flush()
            answered = number < answering
            s.add(
                PollDelivery(
                    poll_id=poll.id,
                    participant_id=person.id,
                    think_tank_id=tank.id,
                    state=DeliveryState.SENT,
                    channel=f"D{number}",
                    answered=answered,
                    reminded_at=None if answered else now - timedelta(days=2),
                )
            )
            if answered:
                s.add(
                    PollAnswer(
                        poll_id=poll.id,
                        respondent=respondent_key(KEY, poll.id, person.id),
                        think_tank_id=tank.id,
                        question_key="hard",
                        value=f"lone text {number}",
                    )
                )
            else:
                s.add(ScheduledSend(key=f"poll:{poll.id}:remind:{person.id}", result="D 1.2"))
        s.add(ScheduledSend(key=f"poll:{poll.id}:failures", result="ok"))
        return poll.id


def test_closing_a_poll_erases_who_answered_and_who_was_reminded(database: Database) -> None:
    poll_id = poll_with_answers(database, answering=1)
    with database.session() as session:
        assert close_due_polls(session) == [poll_id]
    with database.session() as session:
        deliveries = session.scalars(select(PollDelivery)).all()
        assert len(deliveries) == 4
        assert {(d.answered, d.reminded_at) for d in deliveries} == {(False, None)}
        keys = session.scalars(select(ScheduledSend.key)).all()
        assert keys == [f"poll:{poll_id}:failures"]
        # What was answered stays, for reports of large enough groups.
        assert session.scalars(select(PollAnswer.value)).all() == ["lone text 0"]


def test_export_leaves_out_a_think_tank_with_fewer_than_three_answers(database: Database) -> None:
    small = poll_with_answers(database, answering=2)
    large = poll_with_answers(database, answering=3)
    with database.session() as session:
        rows = list(answer_rows(session, TEAM, "en"))
    assert {row[0] for row in rows} == {str(large)}
    assert len(rows) == 3
    assert str(small) not in {row[0] for row in rows}
