"""Poll answers as rows for a spreadsheet: one row per answer, never a name for anonymous polls,
and never the answers of a think tank with fewer than three respondents to a poll."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.csv_text import safe_cell
from models import Participant, Poll, PollAnswer
from services.poll_reports import large_enough_cells
from services.polls import label

COLUMNS = (
    "poll_id",
    "round_id",
    "think_tank_id",
    "opens_at",
    "anonymous",
    "respondent",
    "question_key",
    "question",
    "kind",
    "value",
)
# Opaque but stable within a poll: enough to count and group one person's answers, and still
# far too short to try participants against it without the key.
RESPONDENT_PREFIX = 16
# Spreadsheets run a cell that starts with one of these as a formula (OWASP: CSV injection).


def answer_rows(session: Session, team_id: str | None, language: str) -> Iterator[list[str]]:
    query = select(PollAnswer, Poll).join(Poll, Poll.id == PollAnswer.poll_id)
    if team_id:
        query = query.where(Poll.team_id == team_id)
    users = {
        row.id: row.user_id for row in session.execute(select(Participant.id, Participant.user_id))
    }
    rows = session.execute(query.order_by(Poll.id, PollAnswer.id)).all()
    # The reports' rule: a think tank with fewer than three answers to a poll is left out.
    shown = large_enough_cells([answer for answer, _ in rows])
    for answer, poll in rows:
        if (answer.think_tank_id, answer.poll_id) not in shown:
            continue
        item = next((q for q in poll.questions if q["key"] == answer.question_key), None)
        wording = label(item["text"], language) if item else ""
        value = answer.value
        if item and item["kind"] == "choice":
            value = label(item["options"][int(answer.value)], language)
        if poll.anonymous or answer.participant_id is None:
            respondent = "anon-" + answer.respondent[:RESPONDENT_PREFIX]
        else:
            respondent = users.get(answer.participant_id, "")
        yield [
            safe_cell(cell)
            for cell in (
                poll.id,
                poll.round_id,
                answer.think_tank_id,
                poll.opens_at.isoformat(),
                "yes" if poll.anonymous else "no",
                respondent,
                answer.question_key,
                wording,
                item["kind"] if item else "",
                value,
            )
        ]
