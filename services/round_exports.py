"""Rounds and think tanks as spreadsheet rows (for ``collider export rounds|thinktanks``)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.csv_text import safe_cell
from models import Round, ThinkTank, ThinkTankMember
from services.importing import person_name

ROUND_COLUMNS = (
    "round_id",
    "status",
    "created_by",
    "confirmed_by",
    "created_at",
    "confirmed_at",
    "completed_at",
    "think_tanks",
    "people",
    "cohesion",
    "random_cohesion",
    "min_size",
    "max_size",
    "min_distinct",
    "repeat_window",
    "seed",
)
THINK_TANK_COLUMNS = (
    "round_id",
    "think_tank",
    "member",
    "organisation",
    "organisation_type",
    "tying_idea_id",
    "tying_idea_title",
    "tie_score",
    "key_terms",
    "cohesion",
    "conversation_id",
    "intro_sent",
    "unreachable",
)


def round_rows(session: Session, team_id: str | None = None) -> Iterator[list[str]]:
    yield list(ROUND_COLUMNS)
    query = (
        select(Round)
        .options(selectinload(Round.think_tanks).selectinload(ThinkTank.members))
        .order_by(Round.id)
    )
    rounds = session.scalars(query.where(Round.team_id == team_id) if team_id else query)
    for round_ in rounds:
        settings = round_.parameters or {}
        values: list[object] = [
            round_.id,
            round_.status.value,
            round_.created_by,
            round_.confirmed_by,
            round_.created_at,
            round_.confirmed_at,
            round_.completed_at,
            len(round_.think_tanks),
            sum(len(tank.members) for tank in round_.think_tanks),
            round_.cohesion,
            round_.random_cohesion,
            settings.get("min_size"),
            settings.get("max_size"),
            settings.get("min_distinct"),
            settings.get("repeat_window"),
            settings.get("seed"),
        ]
        yield [safe_cell(value) for value in values]


def think_tank_rows(session: Session, team_id: str | None = None) -> Iterator[list[str]]:
    """One row per member of every think tank; forgotten people appear without a name.

    People who are not in Slack are listed by name, ``unreachable`` = ``offline``.
    """
    yield list(THINK_TANK_COLUMNS)
    query = select(ThinkTankMember)
    if team_id:
        query = query.join(Round, Round.id == ThinkTankMember.round_id).where(
            Round.team_id == team_id
        )
    members = session.scalars(
        query.options(
            selectinload(ThinkTankMember.think_tank),
            selectinload(ThinkTankMember.participant),
            selectinload(ThinkTankMember.idea),
        ).order_by(ThinkTankMember.round_id, ThinkTankMember.think_tank_id, ThinkTankMember.id)
    )
    for member in members:
        tank, person, idea = member.think_tank, member.participant, member.idea
        forgotten = person.forgotten_at is not None
        values: list[object] = [
            member.round_id,
            tank.number,
            "" if forgotten else person_name(person),
            person.organisation,
            person.organisation_type.value if person.organisation_type else None,
            idea.id if idea else None,
            idea.title if idea else None,
            member.tie_score,
            ", ".join(tank.key_terms or ()),
            tank.cohesion,
            tank.conversation_id,
            tank.intro_state.value == "done",
            member.unreachable,
        ]
        yield [safe_cell(value) for value in values]
