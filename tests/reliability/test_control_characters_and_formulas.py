"""Issue 11, item 12: no stored text keeps a control character, whichever way it came in, and
the CSV formula guard sees through zero-width and full-width prefixes."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import String, Text, select

from bot.settings import DEFAULT_TIME_ZONE
from matching.csv_text import safe_cell
from models import (
    Base,
    Poll,
    PollDelivery,
    PollState,
    Round,
    RoundStatus,
    ThinkTank,
    ThinkTankMember,
)
from models.base import utcnow
from models.db import Database
from services import ideas, importing, pipeline, polls, themes
from services.answer_keys import AnswerKeys
from services.participants import ProfileUpdate, SlackUser, ensure_participant, update_profile

TEAM = "T0CTRL"
# NUL, bell, escape, DEL and a C1 control, around text; \n and \t are kept.
DIRTY = "\x00Pyörä\x07kor\x1bjaamo\x7f\x85\n\tok"
CLEAN = "Pyöräkorjaamo\n\tok"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def stored_controls(database: Database) -> list[tuple[str, str, str]]:
    """(table, column, value) of every stored text that still holds a control character."""
    found = []
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text):
                    continue
                for value in session.scalars(select(column)):
                    if value and CONTROL.search(value):
                        found.append((table.name, column.name, value))
    return found


def make_poll(session, person_id: int) -> Poll:  # type: ignore[no-untyped-def]
    round_ = Round(team_id=TEAM, status=RoundStatus.COMPLETED, created_by="UFACIL")
    session.add(round_)
    session.flush()
    tank = ThinkTank(round_id=round_.id, number=1)
    session.add(tank)
    session.flush()
    session.add(
        ThinkTankMember(round_id=round_.id, think_tank_id=tank.id, participant_id=person_id)
    )
    poll = Poll(
        team_id=TEAM,
        questions=polls.DEFAULT_QUESTIONS,
        round_id=round_.id,
        think_tank_id=tank.id,
        opens_at=utcnow(),
        closes_at=utcnow().replace(year=utcnow().year + 1),
        state=PollState.SCHEDULED,
        created_by="UFACIL",
    )
    session.add(poll)
    session.flush()
    polls.open_poll(session, poll)
    return poll


def test_every_input_path_stores_text_without_control_characters(
    database: Database, tmp_path: Path
) -> None:
    person = SlackUser(TEAM, "UCTRL", name="Ville\x00 Virtanen\x1b")
    facilitator = SlackUser(TEAM, "UFACIL")
    with database.session() as session:
        idea = ideas.submit_idea(
            session,
            person,
            ideas.IdeaInput(kind="idea", body=DIRTY, title="T\x00itle\x07", theme="Th\x1beme"),
        ).idea
        ideas.update_idea(
            session, person, idea.id, ideas.IdeaInput(kind="idea", body=DIRTY + "\x00 edited")
        )
        update_profile(session, person, ProfileUpdate("Virtasen\x00 Verstas\x08", None, None))
        themes.open_theme(
            session, facilitator, themes.ThemeInput("Goal\x00 3", DIRTY, date.today())
        )
        pipeline.move_idea(session, facilitator, idea.id, "pilot", "note\x00\x1b here")
        template = polls.create_template(
            session, facilitator, "Tem\x00plate\x07", "text: What\x00 helped?\nscale: Good\x1b?"
        )
        participant = ensure_participant(session, person)
        poll = make_poll(session, participant.id)
        poll.questions = template.questions
        delivery = session.scalars(select(PollDelivery)).one()
        delivery.state = delivery.state.SENT
        session.flush()
        keys = AnswerKeys(b"k" * 32)
        polls.record_answers(session, poll.id, person, {"q1": DIRTY, "q2": "4"}, keys)
        options = importing.ImportOptions(team_id=TEAM, time_zone=DEFAULT_TIME_ZONE)
        sheet = tmp_path / "import.csv"
        with sheet.open("w", encoding="utf-8", newline="") as file:
            csv.writer(file).writerows(
                [["text", "author", "theme"], [DIRTY + " imported", "Im\x00porter\x1b", "Cat\x07"]]
            )
        importing.import_rows(session, importing.open_import(sheet, options), options)
    assert stored_controls(database) == []
    with database.session() as session:
        bodies = session.scalars(select(ideas.Idea.body).order_by(ideas.Idea.id)).all()
    assert bodies == [CLEAN + " edited", CLEAN + " imported"]


def test_carriage_returns_become_newlines() -> None:
    from services.text import clean_text

    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("a\r\nb", one_line=True) == "a b"


@pytest.mark.parametrize(
    "cell",
    [
        "=HYPERLINK(1)",
        "+1",
        "-1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\u200b=HYPERLINK(1)",
        "\ufeff=1",
        "\u200b\u200c+1",
        "\uff1dHYPERLINK(1)",  # ＝
        "\uff0b1",  # ＋
        "\uff0d1",  # －
        "\uff20SUM(A1)",  # ＠
        " =1",
        "\u3000\uff1d1",
    ],
)
def test_formula_guard_sees_through_invisible_and_full_width_prefixes(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain", "Pyörä = hyvä", "", "\u200bnothing", "１２３"])
def test_formula_guard_leaves_ordinary_text_alone(cell: str) -> None:
    assert safe_cell(cell) == cell
