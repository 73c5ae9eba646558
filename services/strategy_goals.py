"""The city's strategy goals: a short list facilitators keep, which themes and experiments serve."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import StrategyGoal, Theme
from models.base import utcnow
from services.errors import InvalidInput, NotFound
from services.participants import SlackUser, ensure_participant
from services.text import clean_text
from services.themes import theme_of

MAX_TITLE = 200
# A short list: it fits in one select menu (Slack allows 100 options) with room to spare.
MAX_GOALS = 50


def active_goals(session: Session, team_id: str) -> list[StrategyGoal]:
    return list(
        session.scalars(
            select(StrategyGoal)
            .where(StrategyGoal.team_id == team_id, StrategyGoal.removed_at.is_(None))
            .order_by(StrategyGoal.id)
        )
    )


def add_goal(session: Session, user: SlackUser, title: str) -> StrategyGoal:
    """Add a goal (the caller checked the facilitator role)."""
    title = " ".join(clean_text(title).split())
    if not title:
        raise InvalidInput("programme.goal_usage")
    if len(title) > MAX_TITLE:
        raise InvalidInput("errors.too_long", field="title", limit=MAX_TITLE, length=len(title))
    count = session.scalar(
        select(func.count())
        .select_from(StrategyGoal)
        .where(StrategyGoal.team_id == user.team_id, StrategyGoal.removed_at.is_(None))
    )
    if (count or 0) >= MAX_GOALS:
        raise InvalidInput("programme.goal_too_many", limit=MAX_GOALS)
    goal = StrategyGoal(
        team_id=user.team_id, title=title, created_by_id=ensure_participant(session, user).id
    )
    session.add(goal)
    session.flush()
    return goal


def find_goal(session: Session, team_id: str, goal_id: int) -> StrategyGoal:
    goal = session.get(StrategyGoal, goal_id)
    if goal is None or goal.team_id != team_id or goal.removed_at is not None:
        raise NotFound("programme.goal_not_found", id=goal_id)
    return goal


def remove_goal(session: Session, team_id: str, goal_id: int) -> StrategyGoal:
    """Take a goal off the list; what already points to it keeps the label."""
    goal = find_goal(session, team_id, goal_id)
    goal.removed_at = utcnow()
    return goal


def link_theme(session: Session, team_id: str, theme_id: int, goal_id: int) -> Theme:
    """Say which strategy goal a theme serves."""
    goal = find_goal(session, team_id, goal_id)
    theme = theme_of(session, team_id, theme_id)
    if theme is None:
        raise NotFound("themes.not_found", id=theme_id)
    theme.strategy_goal_id = goal.id
    return theme
