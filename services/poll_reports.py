"""Poll results for facilitators: per think tank and overall, never below the privacy threshold.

The unit that must have at least ``MIN_GROUP_ANSWERS`` respondents is one poll in one think
tank (a *cell*). A cell with fewer is left out everywhere, including the overall figures:
otherwise subtracting the shown groups from the total would reveal the small one.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from i18n import t
from models import (
    DeliveryState,
    Poll,
    PollAnswer,
    PollDelivery,
    PollState,
    QuestionKind,
    Round,
    ThinkTank,
)
from services.errors import InvalidInput, NotFound
from services.polls import LIKERT, MET_KEY, MET_YES, label
from services.record_ids import is_number, record_id, typed_id
from services.themes import theme_of

MIN_GROUP_ANSWERS = 3
SCOPE_KINDS = ("all", "round", "tank", "theme")
_SCOPE = re.compile(r"^\s*(round|tank|theme)\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    kind: str  # "all", "round", "tank" or "theme"
    value: str = ""


def parse_scope(text: str) -> Scope:
    if not text.strip():
        return Scope("all")
    if is_number(text):  # a bare number names a theme, as in the pipeline
        return Scope("theme", text.strip().lstrip("#"))
    match = _SCOPE.match(text)
    if not match:
        raise InvalidInput("polls.report_usage")
    kind, value = match.group(1).lower(), match.group(2)
    if kind == "theme":
        return Scope(kind, value)
    number = typed_id(
        value,
        usage=InvalidInput("polls.report_usage"),
        # What require_scope says of a round or think tank this workspace does not have.
        not_found=NotFound(_NOT_FOUND[kind], **{kind: value.lstrip("#")[:40]}),
    )
    return Scope(kind, str(number))


_NOT_FOUND = {"round": "polls.no_such_round", "tank": "polls.no_such_tank"}


def checked_scope(kind: str, value: str) -> Scope:
    """A scope a button carries (the whole report as a file): the bot wrote it, so anything
    else was made by hand."""
    if kind not in SCOPE_KINDS or (kind != "all" and record_id(value) is None):
        raise InvalidInput("errors.bad_request")
    return Scope(kind, value if kind == "all" else str(record_id(value)))


def require_scope(session: Session, team_id: str, scope: Scope) -> None:
    """Refuse a report on a round, think tank or theme that this workspace does not have."""
    if scope.kind == "round":
        found = session.get(Round, int(scope.value))
        if found is None or found.team_id != team_id:
            raise InvalidInput("polls.no_such_round", round=int(scope.value))
    elif scope.kind == "tank":
        tank = session.get(ThinkTank, int(scope.value))
        owner = session.get(Round, tank.round_id) if tank is not None else None
        if owner is None or owner.team_id != team_id:
            raise InvalidInput("polls.no_such_tank", tank=int(scope.value))
    # By title, the theme is looked up among the workspace's own (``themes.find_theme``).
    elif scope.kind == "theme" and is_number(scope.value):
        theme_id = record_id(scope.value)  # None for a number no theme can have
        if theme_id is None or theme_of(session, team_id, theme_id) is None:
            raise InvalidInput("themes.not_found", id=scope.value.lstrip("#")[:40])


@dataclass
class ScaleStat:
    question: str
    count: int
    mean: float
    distribution: dict[str, int]


@dataclass
class ChoiceStat:
    question: str
    distribution: dict[str, int]


@dataclass
class GroupResult:
    name: str
    respondents: int = 0
    hidden: bool = False
    met_share: float | None = None
    scales: list[ScaleStat] = field(default_factory=list)
    choices: list[ChoiceStat] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Report:
    scope: str  # its name, for people (plain text: escaped where it goes into mrkdwn)
    polls: int
    asked: int
    respondents: int
    failed: int
    total: GroupResult
    groups: list[GroupResult]
    minimum: int = MIN_GROUP_ANSWERS
    failures: list[tuple[int, str]] = field(default_factory=list)
    of: Scope = Scope("all")  # what was asked for, to ask again (the whole report as a file)


def _polls_in(session: Session, team_id: str, scope: Scope) -> list[Poll]:
    query = select(Poll).where(Poll.team_id == team_id, Poll.state != PollState.SCHEDULED)
    if scope.kind == "round":
        query = query.where(Poll.round_id == int(scope.value))
    elif scope.kind == "tank":
        # A tank's own polls, and its part of round-wide polls (filtered per answer below).
        tank = session.get(ThinkTank, int(scope.value))
        round_id = tank.round_id if tank else -1
        query = query.where(
            (Poll.think_tank_id == int(scope.value))
            | ((Poll.think_tank_id.is_(None)) & (Poll.round_id == round_id))
        )
    elif scope.kind == "theme":
        # Rounds limited to the theme (their pool came from its ideas); the value is its id.
        rounds = session.scalars(select(Round).where(Round.team_id == team_id)).all()
        ids = [r.id for r in rounds if str((r.parameters or {}).get("theme_id")) == scope.value]
        query = query.where(Poll.round_id.in_(ids))
    return list(session.scalars(query.order_by(Poll.id)))


def _scope_name(session: Session, team_id: str, scope: Scope, language: str) -> str:
    """What the report is about, as people read it (a theme by its title: plain user text)."""
    if scope.kind == "all":
        return t("polls.scope_all", language)
    value = scope.value
    theme_id = record_id(value) if scope.kind == "theme" and is_number(value) else None
    if theme_id is not None:
        theme = theme_of(session, team_id, theme_id)
        value = theme.title if theme is not None else value
    return t(f"polls.scope_{scope.kind}", language, value=value)


def _summarize(
    name: str, cells: list[list[PollAnswer]], questions: dict[tuple[int, str], dict], language: str
) -> GroupResult:
    group = GroupResult(name=name)
    scales: dict[str, list[int]] = defaultdict(list)
    choices: dict[str, Counter[str]] = defaultdict(Counter)
    met: list[bool] = []
    for answers in cells:
        group.respondents += len({answer.respondent for answer in answers})
        for answer in answers:
            item = questions.get((answer.poll_id, answer.question_key))
            if item is None:
                continue
            wording = label(item["text"], language)
            kind = QuestionKind(item["kind"])
            if item["key"] == MET_KEY and "i18n" in item["text"]:
                met.append(answer.value == MET_YES)
                continue  # shown as the share who met
            if kind is QuestionKind.LIKERT:
                scales[wording].append(int(answer.value))
            elif kind is QuestionKind.CHOICE:
                choices[wording][label(item["options"][int(answer.value)], language)] += 1
            else:
                group.texts.append((wording, answer.value))
    if met:
        group.met_share = sum(met) / len(met)
    for wording, values in scales.items():
        distribution = {value: values.count(int(value)) for value in LIKERT}
        group.scales.append(
            ScaleStat(wording, len(values), sum(values) / len(values), distribution)
        )
    group.choices = [ChoiceStat(wording, dict(counts)) for wording, counts in choices.items()]
    return group


def large_enough_cells(answers: Sequence[PollAnswer]) -> set[tuple[int | None, int]]:
    """The (think tank, poll) cells with at least ``MIN_GROUP_ANSWERS`` respondents: the only
    answers any report or export shows."""
    respondents: dict[tuple[int | None, int], set[str]] = defaultdict(set)
    for answer in answers:
        respondents[(answer.think_tank_id, answer.poll_id)].add(answer.respondent)
    return {cell for cell, people in respondents.items() if len(people) >= MIN_GROUP_ANSWERS}


def build_report(session: Session, team_id: str, scope: Scope, language: str) -> Report:
    polls = _polls_in(session, team_id, scope)
    poll_ids = [poll.id for poll in polls]
    questions = {(poll.id, item["key"]): item for poll in polls for item in poll.questions}
    answers = session.scalars(
        select(PollAnswer).where(PollAnswer.poll_id.in_(poll_ids)).order_by(PollAnswer.id)
    ).all()
    if scope.kind == "tank":
        answers = [a for a in answers if a.think_tank_id == int(scope.value)]
    cells: dict[int | None, dict[int, list[PollAnswer]]] = defaultdict(lambda: defaultdict(list))
    for answer in answers:
        cells[answer.think_tank_id][answer.poll_id].append(answer)

    tanks = {
        tank.id: tank
        for tank in session.scalars(
            select(ThinkTank).where(ThinkTank.id.in_([k for k in cells if k is not None]))
        )
    }
    shown = large_enough_cells(answers)
    groups, shown_cells = [], []
    for tank_id in sorted(cells, key=lambda k: (k is None, k or 0)):
        tank = tanks.get(tank_id) if tank_id is not None else None
        name = (
            t("polls.group_name", language, round=tank.round_id, number=tank.number, id=tank.id)
            if tank
            else t("polls.group_unknown", language)
        )
        big_enough = [
            cell for poll_id, cell in cells[tank_id].items() if (tank_id, poll_id) in shown
        ]
        if big_enough:
            groups.append(_summarize(name, big_enough, questions, language))
            shown_cells += big_enough
        else:
            respondents = sum(len({a.respondent for a in c}) for c in cells[tank_id].values())
            groups.append(GroupResult(name=name, respondents=respondents, hidden=True))
    total = _summarize(t("polls.group_total", language), shown_cells, questions, language)
    total.hidden = not shown_cells

    delivery_filter: list[ColumnElement[bool]] = [PollDelivery.poll_id.in_(poll_ids)]
    if scope.kind == "tank":
        delivery_filter.append(PollDelivery.think_tank_id == int(scope.value))
    asked = session.scalar(select(func.count(PollDelivery.id)).where(*delivery_filter)) or 0
    failed_rows = session.execute(
        select(PollDelivery.participant_id, PollDelivery.error).where(
            *delivery_filter,
            PollDelivery.state.in_((DeliveryState.FAILED, DeliveryState.IN_DOUBT)),
        )
    ).all()
    respondents = sum(
        len({a.respondent for a in c}) for tank in cells.values() for c in tank.values()
    )
    return Report(
        scope=_scope_name(session, team_id, scope, language),
        of=scope,
        polls=len(polls),
        asked=asked,
        respondents=respondents,
        failed=len(failed_rows),
        total=total,
        groups=groups,
        failures=[(pid, error or "") for pid, error in failed_rows],
    )
