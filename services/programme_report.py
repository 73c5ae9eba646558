"""The programme's own report for a date range: the page a city shows its council.

Every figure is aggregated in SQL (GROUP BY, COUNT DISTINCT, HAVING), so the work stays in the
database however many ideas there are; Python only arranges the few result rows. Stage ratings
follow the poll rule: an evaluation with fewer than three answers is left out of every figure.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.orm import Session

from matching.csv_text import safe_cell
from models import (
    Decision,
    Experiment,
    Idea,
    IdeaKind,
    IdeaStage,
    IdeaStatus,
    InviteState,
    Participant,
    Round,
    Stage,
    StageEvaluation,
    StageEvaluationAnswer,
    StageEvaluationInvite,
    StrategyGoal,
    Theme,
    ThinkTank,
    ThinkTankMember,
)
from services.errors import InvalidInput
from services.stage_evaluations import MIN_ANSWERS

UNKNOWN = "unknown"
NO_GOAL = ""
DEFAULT_SPAN = timedelta(days=365)


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period. The last day a date can have (9999-12-31, a
        facilitator's "until further notice") has no next day: its period ends with time."""
        if self.until == date.max:
            return datetime.max.replace(tzinfo=UTC)
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=UTC)


def parse_period(since: str | None, until: str | None, today: date) -> Period:
    """``[from] [to]`` as ISO dates; by default the year up to today."""
    try:
        end = date.fromisoformat(until) if until else today
        start = date.fromisoformat(since) if since else _year_before(end)
    except ValueError:
        raise InvalidInput("programme.report_usage") from None
    if end < start:
        raise InvalidInput("programme.report_usage")
    return Period(start, end)


def _year_before(end: date) -> date:
    """The default start; the first day there is for an end within a year of it."""
    return end - DEFAULT_SPAN if end - date.min >= DEFAULT_SPAN else date.min


@dataclass(frozen=True)
class RatingCell:
    stage: Stage
    month: str  # YYYY-MM
    mean: float
    answers: int


@dataclass
class GoalRow:
    goal: str  # the strategy goal's title; "" for work that names none
    ideas: int = 0
    needs: int = 0
    experiments_started: int = 0
    experiments_finished: int = 0


@dataclass
class ProgrammeReport:
    period: Period
    ideas: dict[IdeaKind, int]
    think_tanks: int
    crossing_think_tanks: int
    experiments_started: int
    experiments_finished: int
    decisions: dict[Decision, int]
    moves: dict[Stage, int]  # ideas that reached pilot / adopted in the period
    participants: dict[str, int]  # by organisation type ("unknown" where the profile is empty)
    roles: dict[str, int]  # student / official / councillor / other, where profiles say
    participants_total: int
    ratings: list[RatingCell]
    goals: list[GoalRow] = field(default_factory=list)
    # Stage evaluation invitations of the period that never reached their person (each one was
    # told by name to the facilitator who moved the idea).
    invitations_not_delivered: int = 0

    @property
    def pilots(self) -> int:
        return self.moves.get(Stage.PILOT, 0)

    @property
    def adoptions(self) -> int:
        return self.moves.get(Stage.ADOPTED, 0)


def report_digest(report: ProgrammeReport) -> str:
    """A fingerprint of the period and every figure: the same digest, the same charts."""
    figures = json.dumps(asdict(report), sort_keys=True, default=str)
    return hashlib.sha256(figures.encode()).hexdigest()


def _in(column: Any, period: Period) -> ColumnElement[bool]:
    return (column >= period.start) & (column < period.end)


def _month(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _ideas(session: Session, team_id: str, period: Period) -> dict[IdeaKind, int]:
    rows = session.execute(
        select(Idea.kind, func.count())
        .join(Participant, Participant.id == Idea.author_id)
        .where(
            Participant.team_id == team_id,
            Idea.status == IdeaStatus.OPEN,
            _in(Idea.created_at, period),
        )
        .group_by(Idea.kind)
    ).all()
    counts = {kind: int(count) for kind, count in rows}
    return {kind: counts.get(kind, 0) for kind in IdeaKind}


def _think_tanks(session: Session, team_id: str, period: Period) -> tuple[int, int]:
    """Think tanks started in the period, and how many mixed two or more organisation types."""
    started = (
        select(ThinkTank.id)
        .join(Round, Round.id == ThinkTank.round_id)
        .where(Round.team_id == team_id, _in(ThinkTank.started_at, period))
    )
    total = session.scalar(select(func.count()).select_from(started.subquery())) or 0
    crossing = (
        select(ThinkTankMember.think_tank_id)
        .join(Participant, Participant.id == ThinkTankMember.participant_id)
        .where(ThinkTankMember.think_tank_id.in_(started))
        .group_by(ThinkTankMember.think_tank_id)
        .having(func.count(func.distinct(Participant.organisation_type)) >= 2)
    )
    crossed = session.scalar(select(func.count()).select_from(crossing.subquery())) or 0
    return int(total), int(crossed)


def _experiments(
    session: Session, team_id: str, period: Period
) -> tuple[int, int, dict[Decision, int]]:
    started = session.scalar(
        select(func.count()).where(
            Experiment.team_id == team_id,
            Experiment.starts_on >= period.since,
            Experiment.starts_on <= period.until,
        )
    )
    rows = session.execute(
        select(Experiment.decision, func.count())
        .where(Experiment.team_id == team_id, _in(Experiment.result_at, period))
        .group_by(Experiment.decision)
    ).all()
    decisions = {decision: int(count) for decision, count in rows if decision is not None}
    finished = sum(decisions.values())
    return int(started or 0), finished, {d: decisions.get(d, 0) for d in Decision}


def _moves(session: Session, team_id: str, period: Period) -> dict[Stage, int]:
    rows = session.execute(
        select(IdeaStage.stage, func.count(func.distinct(IdeaStage.idea_id)))
        .join(Idea, Idea.id == IdeaStage.idea_id)
        .join(Participant, Participant.id == Idea.author_id)
        .where(
            Participant.team_id == team_id,
            IdeaStage.stage.in_([Stage.PILOT, Stage.ADOPTED]),
            _in(IdeaStage.changed_at, period),
        )
        .group_by(IdeaStage.stage)
    ).all()
    return {stage: int(count) for stage, count in rows}


def _participants(
    session: Session, team_id: str, period: Period
) -> tuple[dict[str, int], dict[str, int], int]:
    """Unique people who wrote an idea, sat in a think tank or owned an experiment card."""
    people = union(
        select(Idea.author_id.label("pid")).where(_in(Idea.created_at, period)),
        select(ThinkTankMember.participant_id.label("pid"))
        .join(ThinkTank, ThinkTank.id == ThinkTankMember.think_tank_id)
        .where(_in(ThinkTank.started_at, period)),
        select(Experiment.created_by_id.label("pid")).where(
            Experiment.team_id == team_id,
            Experiment.created_by_id.is_not(None),
            _in(Experiment.created_at, period),
        ),
    ).subquery()
    involved = (
        select(Participant.organisation_type, Participant.role)
        .join(people, people.c.pid == Participant.id)
        .where(Participant.team_id == team_id)
        .subquery()
    )
    by_type = session.execute(
        select(involved.c.organisation_type, func.count()).group_by(involved.c.organisation_type)
    ).all()
    by_role = session.execute(select(involved.c.role, func.count()).group_by(involved.c.role)).all()
    types = {str(kind.value if kind else UNKNOWN): int(n) for kind, n in by_type}
    roles = {str(role.value if role else UNKNOWN): int(n) for role, n in by_role}
    return types, roles, sum(types.values())


def _ratings(session: Session, team_id: str, period: Period) -> list[RatingCell]:
    month = _month(session, StageEvaluation.created_at).label("month")
    cells = (
        select(
            StageEvaluation.stage.label("stage"),
            month,
            func.count(StageEvaluationAnswer.rating).label("answers"),
            func.sum(StageEvaluationAnswer.rating).label("total"),
        )
        .join(StageEvaluationAnswer, StageEvaluationAnswer.evaluation_id == StageEvaluation.id)
        .where(
            StageEvaluation.team_id == team_id,
            _in(StageEvaluation.created_at, period),
            StageEvaluationAnswer.rating.is_not(None),
        )
        .group_by(StageEvaluation.id, StageEvaluation.stage, month)
        .having(func.count(StageEvaluationAnswer.rating) >= MIN_ANSWERS)
        .subquery()
    )
    rows = session.execute(
        select(cells.c.stage, cells.c.month, func.sum(cells.c.answers), func.sum(cells.c.total))
        .group_by(cells.c.stage, cells.c.month)
        .order_by(cells.c.month, cells.c.stage)
    ).all()
    return [
        RatingCell(Stage(stage), str(month), float(total) / float(answers), int(answers))
        for stage, month, answers, total in rows
    ]


def _invitations_not_delivered(session: Session, team_id: str, period: Period) -> int:
    return (
        session.scalar(
            select(func.count(StageEvaluationInvite.id))
            .join(StageEvaluation, StageEvaluation.id == StageEvaluationInvite.evaluation_id)
            .where(
                StageEvaluation.team_id == team_id,
                _in(StageEvaluation.created_at, period),
                StageEvaluationInvite.state == InviteState.FAILED,
            )
        )
        or 0
    )


def _goals(session: Session, team_id: str, period: Period) -> list[GoalRow]:
    """Ideas (through their theme) and experiments grouped by the strategy goal they serve."""
    titles = dict(
        session.execute(
            select(StrategyGoal.id, StrategyGoal.title).where(StrategyGoal.team_id == team_id)
        ).all()
    )
    rows: dict[int | None, GoalRow] = defaultdict(lambda: GoalRow(NO_GOAL))
    ideas = session.execute(
        select(Theme.strategy_goal_id, Idea.kind, func.count())
        .join(Theme, Theme.id == Idea.theme_id)
        .where(Theme.team_id == team_id, Idea.status == IdeaStatus.OPEN)
        .where(_in(Idea.created_at, period))
        .where(Theme.strategy_goal_id.is_not(None))
        .group_by(Theme.strategy_goal_id, Idea.kind)
    ).all()
    for goal_id, kind, count in ideas:
        row = rows[goal_id]
        if kind is IdeaKind.NEED:
            row.needs += int(count)
        else:
            row.ideas += int(count)
    started = (Experiment.starts_on >= period.since) & (Experiment.starts_on <= period.until)
    finished = _in(Experiment.result_at, period)
    experiments = session.execute(
        select(
            Experiment.strategy_goal_id,
            func.count(Experiment.id).filter(started),
            func.count(Experiment.id).filter(finished),
        )
        .where(Experiment.team_id == team_id, started | finished)
        .group_by(Experiment.strategy_goal_id)
    ).all()
    for goal_id, count_started, count_finished in experiments:
        row = rows[goal_id]
        row.experiments_started += int(count_started or 0)
        row.experiments_finished += int(count_finished or 0)
    for goal_id, row in rows.items():
        row.goal = titles.get(goal_id, NO_GOAL) if goal_id is not None else NO_GOAL
    return sorted(rows.values(), key=lambda row: (row.goal == NO_GOAL, row.goal))


def build_report(session: Session, team_id: str, period: Period) -> ProgrammeReport:
    started, finished, decisions = _experiments(session, team_id, period)
    tanks, crossing = _think_tanks(session, team_id, period)
    types, roles, total = _participants(session, team_id, period)
    return ProgrammeReport(
        period=period,
        ideas=_ideas(session, team_id, period),
        think_tanks=tanks,
        crossing_think_tanks=crossing,
        experiments_started=started,
        experiments_finished=finished,
        decisions=decisions,
        moves=_moves(session, team_id, period),
        participants=types,
        roles=roles,
        participants_total=total,
        ratings=_ratings(session, team_id, period),
        goals=_goals(session, team_id, period),
        invitations_not_delivered=_invitations_not_delivered(session, team_id, period),
    )


def team_ids(session: Session) -> list[str]:
    return list(
        session.scalars(select(Participant.team_id).distinct().order_by(Participant.team_id))
    )


def report_tables(report: ProgrammeReport) -> dict[str, list[list[Any]]]:
    """Each table of the report as CSV rows (a header, then values), for the CLI."""
    return {
        "ideas": [["kind", "count"], *[[k.value, n] for k, n in report.ideas.items()]],
        "think_tanks": [
            ["think_tanks", "crossing_organisation_types"],
            [report.think_tanks, report.crossing_think_tanks],
        ],
        "experiments": [
            ["started", "finished", *[d.value for d in report.decisions]],
            [report.experiments_started, report.experiments_finished, *report.decisions.values()],
        ],
        "pilots_and_adoptions": [["pilots", "adoptions"], [report.pilots, report.adoptions]],
        "participants_by_organisation_type": [
            ["organisation_type", "participants"],
            *sorted([k, n] for k, n in report.participants.items()),
        ],
        "participants_by_role": [
            ["role", "participants"],
            *sorted([k, n] for k, n in report.roles.items()),
        ],
        "ratings_by_stage": [
            ["month", "stage", "mean_collaboration", "answers"],
            *[[c.month, c.stage.value, f"{c.mean:.2f}", c.answers] for c in report.ratings],
        ],
        "by_strategy_goal": [
            ["strategy_goal", "ideas", "needs", "experiments_started", "experiments_finished"],
            *[
                [safe_cell(r.goal), r.ideas, r.needs, r.experiments_started, r.experiments_finished]
                for r in report.goals
            ],
        ],
    }
