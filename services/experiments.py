"""Experiment cards: what a think tank (or an idea's people) tries, how they will know, and the
result at the end: what happened against the measure, the decision, and what was learned.

A card is created when an idea moves to the experiment stage and filled in by a facilitator or
anyone involved in the idea (its author, co-authors, the members of its think tank). At the
card's end date the scheduler asks those owners for the result, once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, update
from sqlalchemy.orm import Session, joinedload

from matching.csv_text import safe_cell
from models import (
    Decision,
    Experiment,
    Idea,
    IdeaCoauthor,
    Participant,
    Stage,
    StrategyGoal,
    Theme,
    ThinkTank,
    ThinkTankMember,
)
from models.base import utcnow
from services.errors import InvalidInput, NotAllowed, NotFound
from services.participants import SlackUser
from services.record_ids import is_number, record_id
from services.text import clean_text

logger = logging.getLogger(__name__)

# What a card refers to that belongs to a workspace.
_Owned = TypeVar("_Owned", StrategyGoal, Theme)

MAX_TITLE = 200
MAX_TEXT = 1500
MAX_SHORT = 200
MAX_LISTED = 20
EXPERIMENT_STAGES = (Stage.EXPERIMENT, Stage.PILOT, Stage.ADOPTED, Stage.STOPPED)
# Any select over Experiment (one entity, or several columns).
_Query = TypeVar("_Query", bound=Select)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})?\.\.(\d{4}-\d{2}-\d{2})?$")


@dataclass(frozen=True)
class CardInput:
    title: str | None
    hypothesis: str | None
    measure: str | None
    target: str | None
    who: str | None
    starts_on: str | None
    ends_on: str | None
    costs: str | None
    strategy_goal_id: str | None = None
    theme_id: str | None = None


@dataclass(frozen=True)
class ResultInput:
    happened: str | None
    decision: str | None
    learned: str | None


# -- who is involved -----------------------------------------------------------------------------
def think_tank_of_idea(session: Session, idea_id: int) -> int | None:
    """The latest think tank the idea anchors or that a member joined with it."""
    anchored = select(ThinkTank.id).where(ThinkTank.anchor_idea_id == idea_id)
    joined = select(ThinkTankMember.think_tank_id).where(ThinkTankMember.idea_id == idea_id)
    found = session.scalars(anchored.union(joined).order_by(ThinkTank.id.desc()).limit(1)).first()
    return int(found) if found is not None else None


def people_of_idea(session: Session, idea_id: int, think_tank_id: int | None) -> list[Participant]:
    """Everyone involved in an idea: author, co-authors and its think tank's members, in that
    order, once each, leaving out people who asked to be forgotten."""
    ids: list[int] = []
    author = session.scalar(select(Idea.author_id).where(Idea.id == idea_id))
    ids += [author] if author is not None else []
    ids += session.scalars(
        select(IdeaCoauthor.participant_id)
        .where(IdeaCoauthor.idea_id == idea_id)
        .order_by(IdeaCoauthor.id)
    ).all()
    if think_tank_id is not None:
        ids += session.scalars(
            select(ThinkTankMember.participant_id)
            .where(ThinkTankMember.think_tank_id == think_tank_id)
            .order_by(ThinkTankMember.id)
        ).all()
    unique = list(dict.fromkeys(ids))
    people = {
        person.id: person
        for person in session.scalars(
            select(Participant).where(
                Participant.id.in_(unique), Participant.forgotten_at.is_(None)
            )
        )
    }
    return [people[pid] for pid in unique if pid in people]


def owners(session: Session, experiment: Experiment) -> list[Participant]:
    """Those who answer for the card: its creator and everyone involved in the idea."""
    people = (
        people_of_idea(session, experiment.idea_id, experiment.think_tank_id)
        if (experiment.idea_id is not None)
        else []
    )
    if experiment.created_by_id is not None and all(
        p.id != experiment.created_by_id for p in people
    ):
        creator = session.get(Participant, experiment.created_by_id)
        if creator is not None and creator.forgotten_at is None:
            people.insert(0, creator)
    return people


def _may_edit(session: Session, user: SlackUser, experiment: Experiment, facilitator: bool) -> None:
    if facilitator:
        return
    if not any(
        person.team_id == user.team_id and person.user_id == user.user_id
        for person in owners(session, experiment)
    ):
        raise NotAllowed("programme.owners_only")


# -- the card ------------------------------------------------------------------------------------
def start_experiment(
    session: Session, idea: Idea, team_id: str, created_by_id: int | None
) -> Experiment:
    """The card of an idea that became an experiment: an open one is reused, else a new draft."""
    existing = session.scalar(
        select(Experiment)
        .where(Experiment.idea_id == idea.id, Experiment.result_at.is_(None))
        .order_by(Experiment.id.desc())
        .limit(1)
    )
    if existing is not None:
        return existing
    experiment = Experiment(
        team_id=team_id,
        idea_id=idea.id,
        think_tank_id=think_tank_of_idea(session, idea.id),
        title=idea.title[:MAX_TITLE],
        theme_id=idea.theme_id,
        created_by_id=created_by_id,
    )
    if idea.challenge is not None:
        experiment.strategy_goal_id = idea.challenge.strategy_goal_id
    session.add(experiment)
    session.flush()
    return experiment


def get_experiment(session: Session, experiment_id: int, team_id: str) -> Experiment:
    experiment = session.get(
        Experiment, experiment_id, options=[joinedload(Experiment.strategy_goal)]
    )
    if experiment is None or experiment.team_id != team_id:
        raise NotFound("programme.experiment_not_found", id=experiment_id)
    return experiment


def editable_experiment(
    session: Session, user: SlackUser, experiment_id: int, *, facilitator: bool
) -> Experiment:
    experiment = get_experiment(session, experiment_id, user.team_id)
    _may_edit(session, user, experiment, facilitator)
    return experiment


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    text = clean_text(value).strip()
    if required and not text:
        raise InvalidInput("programme.field_required", field=field)
    if len(text) > limit:
        raise InvalidInput("errors.too_long", field=field, limit=limit, length=len(text))
    return text


def _day(value: str | None, field: str) -> date | None:
    if not (value or "").strip():
        return None
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput("programme.bad_date", field=field) from None


def _reference(
    session: Session, model: type[_Owned], team_id: str, value: str | None, field: str
) -> int | None:
    """The id of the workspace's goal or theme the form names; another workspace's is no choice
    (logged: the form offers only this workspace's)."""
    if not (value or "").strip():
        return None
    chosen = record_id(value)
    found: _Owned | None = session.get(model, chosen) if chosen is not None else None
    if found is not None and found.team_id != team_id:
        logger.warning("workspace %s named %s #%s of another workspace", team_id, field, found.id)
        found = None
    if found is None:
        raise InvalidInput("errors.bad_choice", field=field)
    return int(found.id)


def fill_card(
    session: Session, user: SlackUser, experiment_id: int, data: CardInput, *, facilitator: bool
) -> Experiment:
    """Write the card (the whole form at once); only facilitators and owners may."""
    values = {
        "title": _text(data.title, "title", MAX_TITLE, required=True),
        "hypothesis": _text(data.hypothesis, "hypothesis", MAX_TEXT, required=True),
        "measure": _text(data.measure, "measure", MAX_TEXT, required=True),
        "target": _text(data.target, "target", MAX_SHORT),
        "who": _text(data.who, "who", MAX_TEXT),
        "costs": _text(data.costs, "costs", MAX_SHORT),
    }
    starts_on, ends_on = _day(data.starts_on, "starts_on"), _day(data.ends_on, "ends_on")
    if ends_on is None:
        raise InvalidInput("programme.field_required", field="ends_on")
    if starts_on is not None and ends_on < starts_on:
        raise InvalidInput("programme.ends_before_start", field="ends_on")
    team_id = user.team_id
    goal_id = _reference(session, StrategyGoal, team_id, data.strategy_goal_id, "strategy_goal_id")
    theme_id = _reference(session, Theme, team_id, data.theme_id, "theme_id")
    experiment = editable_experiment(session, user, experiment_id, facilitator=facilitator)
    for name, value in values.items():
        setattr(experiment, name, value)
    if experiment.ends_on != ends_on:
        experiment.result_asked_at = None  # a new end date: ask again when it comes
    experiment.starts_on, experiment.ends_on = starts_on, ends_on
    experiment.strategy_goal_id, experiment.theme_id = goal_id, theme_id
    experiment.filled_at = experiment.filled_at or utcnow()
    session.flush()
    return experiment


def record_result(
    session: Session, user: SlackUser, experiment_id: int, data: ResultInput, *, facilitator: bool
) -> Experiment:
    happened = _text(data.happened, "happened", MAX_TEXT, required=True)
    learned = _text(data.learned, "learned", MAX_TEXT)
    try:
        decision = Decision(data.decision or "")
    except ValueError:
        raise InvalidInput("programme.decision_required", field="decision") from None
    experiment = editable_experiment(session, user, experiment_id, facilitator=facilitator)
    experiment.result_happened, experiment.decision, experiment.learned = (
        happened,
        decision,
        learned,
    )
    experiment.result_by_id = session.scalar(
        select(Participant.id).where(
            Participant.team_id == user.team_id, Participant.user_id == user.user_id
        )
    )
    experiment.result_at = experiment.result_at or utcnow()
    session.flush()
    return experiment


# -- asking for results --------------------------------------------------------------------------
def due_for_result(session: Session, today: date) -> list[int]:
    """Filled cards whose end date has come and whose owners were not asked yet."""
    return list(
        session.scalars(
            select(Experiment.id)
            .where(
                Experiment.ends_on <= today,
                Experiment.filled_at.is_not(None),
                Experiment.result_asked_at.is_(None),
                Experiment.result_at.is_(None),
            )
            .order_by(Experiment.id)
        )
    )


def claim_result_request(session: Session, experiment_id: int, now: datetime | None = None) -> bool:
    """Mark the owners as asked; False when another run claimed it first (asked once)."""
    claimed = session.execute(
        update(Experiment)
        .where(Experiment.id == experiment_id, Experiment.result_asked_at.is_(None))
        .values(result_asked_at=now or utcnow())
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def release_result_request(session: Session, experiment_id: int) -> None:
    """Give the claim back: some owners could not be asked this time (the next run asks them)."""
    session.execute(
        update(Experiment)
        .where(Experiment.id == experiment_id, Experiment.result_at.is_(None))
        .values(result_asked_at=None)
    )


# -- listing and export ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ExperimentFilter:
    stage: Stage | None = None
    theme: str | None = None
    since: date | None = None
    until: date | None = None


def parse_filter(text: str) -> ExperimentFilter:
    """``[stage] [theme] [from..to]`` in any order; a word that is no stage or range is a theme."""
    stage: Stage | None = None
    since = until = None
    words: list[str] = []
    for word in text.split():
        match = _RANGE.match(word)
        if match:
            since, until = _day(match.group(1), "dates"), _day(match.group(2), "dates")
        elif word.lower() in {s.value for s in EXPERIMENT_STAGES} and stage is None:
            stage = Stage(word.lower())
        else:
            words.append(word)
    if since and until and until < since:
        raise InvalidInput("programme.ends_before_start")
    return ExperimentFilter(stage, " ".join(words) or None, since, until)


def _theme_condition(text: str) -> ColumnElement[bool]:
    """A theme by id (``3``, ``#3``) or by words in its title. A number no theme can have names
    none (not ``Theme.id IS NULL``, which the outer join gives every card without a theme)."""
    if not is_number(text):
        return Theme.title.ilike(f"%{text.lstrip('#')}%")
    theme_id = record_id(text)
    return Theme.id == theme_id if theme_id is not None else false()


def _conditions(wanted: ExperimentFilter) -> list[ColumnElement[bool]]:
    """Where clauses over Experiment, Idea (outer-joined) and Theme (outer-joined)."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.stage is not None:
        conditions.append(Idea.stage == wanted.stage)
    if wanted.theme:
        conditions.append(_theme_condition(wanted.theme))
    # An experiment is in the range when it runs during any part of it.
    if wanted.since is not None:
        conditions.append(or_(Experiment.ends_on.is_(None), Experiment.ends_on >= wanted.since))
    if wanted.until is not None:
        conditions.append(or_(Experiment.starts_on.is_(None), Experiment.starts_on <= wanted.until))
    return conditions


def _joined(query: _Query) -> _Query:
    return query.outerjoin(Idea, Idea.id == Experiment.idea_id).outerjoin(
        Theme, Theme.id == Experiment.theme_id
    )


def list_experiments(
    session: Session, team_id: str, wanted: ExperimentFilter, limit: int = MAX_LISTED
) -> list[Experiment]:
    query = (
        _joined(select(Experiment))
        .where(Experiment.team_id == team_id, *_conditions(wanted))
        .options(joinedload(Experiment.idea), joinedload(Experiment.strategy_goal))
    )
    return list(session.scalars(query.order_by(Experiment.id.desc()).limit(limit)).unique())


EXPORT_HEADER = [
    "id",
    "idea_id",
    "think_tank_id",
    "stage",
    "title",
    "hypothesis",
    "measure",
    "target",
    "who",
    "starts_on",
    "ends_on",
    "costs",
    "strategy_goal",
    "theme",
    "decision",
    "result",
    "learned",
]


def experiment_rows(
    session: Session, team_id: str | None = None, wanted: ExperimentFilter | None = None
) -> Iterator[list[str]]:
    """The header, then one spreadsheet-safe row per card (streamed)."""
    yield EXPORT_HEADER
    query = _joined(select(Experiment, Idea.stage, Theme.title)).where(
        *_conditions(wanted or ExperimentFilter())
    )
    if team_id:
        query = query.where(Experiment.team_id == team_id)
    goals = dict(session.execute(select(StrategyGoal.id, StrategyGoal.title)).all())
    for experiment, stage, theme in session.execute(query.order_by(Experiment.id)).yield_per(500):
        yield [
            safe_cell(value)
            for value in (
                experiment.id,
                experiment.idea_id,
                experiment.think_tank_id,
                stage.value if stage else Stage.EXPERIMENT.value,
                experiment.title,
                experiment.hypothesis,
                experiment.measure,
                experiment.target,
                experiment.who,
                experiment.starts_on,
                experiment.ends_on,
                experiment.costs,
                goals.get(experiment.strategy_goal_id) if experiment.strategy_goal_id else "",
                theme,
                experiment.decision.value if experiment.decision else "",
                experiment.result_happened,
                experiment.learned,
            )
        ]
