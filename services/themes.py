"""Themes (challenges): facilitators open them for a while; ideas can be attached to them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Idea, IdeaStatus, Participant, Theme, ThemeStatus
from services.errors import InvalidInput, NotFound
from services.participants import SlackUser, ensure_participant
from services.record_ids import is_number, record_id
from services.text import clean_text

logger = logging.getLogger(__name__)

MAX_TITLE = 150
MAX_DESCRIPTION = 3000


# What one answer to a theme search holds at most (Slack shows at most 100 options).
MAX_CHOICES = 100


@dataclass(frozen=True)
class ThemeChoices:
    """What matches a search in the theme field: open themes, and labels ideas already carry."""

    themes: list[Theme]
    labels: list[str]
    # Matches past the limit, not loaded: said in the answer, so nothing is cut without a word.
    more: int = 0


@dataclass(frozen=True)
class LabelUse:
    label: str
    ideas: int


@dataclass(frozen=True)
class ThemeInput:
    title: str
    description: str
    opens_on: date
    closes_on: date | None = None


def parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("themes.bad_date", field=field) from None


def validate(data: ThemeInput) -> ThemeInput:
    title = clean_text(data.title, field="title", limit=MAX_TITLE, one_line=True)
    if not title:
        raise InvalidInput("themes.title_required", field="title")
    description = clean_text(data.description, field="description", limit=MAX_DESCRIPTION)
    if data.closes_on is not None and data.closes_on < data.opens_on:
        raise InvalidInput("themes.closes_before_opening", field="closes_on")
    return ThemeInput(title, description, data.opens_on, data.closes_on)


def open_theme(session: Session, user: SlackUser, data: ThemeInput) -> Theme:
    """Store a new theme in ``user``'s workspace (the caller checked they are a facilitator)."""
    data = validate(data)
    theme = Theme(
        team_id=user.team_id,
        title=data.title,
        description=data.description,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        status=ThemeStatus.OPEN,
        created_by=ensure_participant(session, user),
    )
    session.add(theme)
    session.flush()
    return theme


def theme_of(session: Session, team_id: str, theme_id: int) -> Theme | None:
    """Theme ``theme_id`` if it belongs to workspace ``team_id``; another workspace's theme is
    answered as one that does not exist (and logged: only a crafted request names one)."""
    theme = session.get(Theme, theme_id)
    if theme is not None and theme.team_id != team_id:
        logger.warning("workspace %s asked for theme #%s of another workspace", team_id, theme_id)
        return None
    return theme


def close_theme(session: Session, team_id: str, theme_id: int) -> Theme:
    theme = theme_of(session, team_id, theme_id)
    if theme is None:
        raise NotFound("themes.not_found", id=theme_id)
    theme.status = ThemeStatus.CLOSED
    return theme


def all_themes(session: Session, team_id: str) -> list[Theme]:
    """The workspace's themes, open or closed, newest first."""
    return list(
        session.scalars(
            select(Theme)
            .where(Theme.team_id == team_id)
            .order_by(Theme.opens_on.desc(), Theme.id.desc())
        )
    )


def any_theme(session: Session, team_id: str) -> bool:
    """Whether the workspace has any theme, open or closed."""
    return session.scalar(select(Theme.id).where(Theme.team_id == team_id).limit(1)) is not None


def open_themes(session: Session, team_id: str, today: date) -> list[Theme]:
    """The workspace's themes that accept ideas today, newest first."""
    return [theme for theme in all_themes(session, team_id) if theme.is_open_on(today)]


def find_theme(session: Session, team_id: str, text: str) -> Theme | None:
    """A theme of the workspace by its id (``3``, ``#3``) or its title, ignoring case."""
    if is_number(text):
        theme_id = record_id(text)  # None for a number no theme can have
        return theme_of(session, team_id, theme_id) if theme_id is not None else None
    wanted = text.strip().lstrip("#").casefold()
    return next(
        (theme for theme in all_themes(session, team_id) if theme.title.casefold() == wanted),
        None,
    )


def labels_in_use(session: Session, team_id: str) -> list[LabelUse]:
    """The free theme labels the workspace's open ideas carry, most used first (they count as
    themes too)."""
    count = func.count(Idea.id)
    rows = session.execute(
        select(Idea.theme, count)
        .join(Participant, Participant.id == Idea.author_id)
        .where(
            Participant.team_id == team_id,
            Idea.status == IdeaStatus.OPEN,
            Idea.theme.is_not(None),
            Idea.theme != "",
        )
        .group_by(Idea.theme)
        .order_by(count.desc(), Idea.theme)
    )
    return [LabelUse(label, ideas) for label, ideas in rows if label]


def themes_named(
    session: Session, team_id: str, query: str = ""
) -> tuple[list[Theme], list[LabelUse]]:
    """Every theme of the workspace (newest first) and label in use whose text contains
    ``query`` (ignoring case; empty: all of them)."""
    wanted = clean_text(query).casefold()
    found = [theme for theme in all_themes(session, team_id) if wanted in theme.title.casefold()]
    uses = labels_in_use(session, team_id)
    return found, [use for use in uses if wanted in use.label.casefold()]


def theme_choices(
    session: Session,
    team_id: str,
    query: str,
    today: date,
    limit: int = MAX_CHOICES,
    *,
    closed: bool = False,
    labels: bool = True,
) -> ThemeChoices:
    """The workspace's themes open today (``closed``: all of them) and, with ``labels``, its
    labels in use, whose text contains ``query`` (ignoring case): at most ``limit`` in all,
    themes first, and how many more matched."""
    wanted = clean_text(query).casefold()
    pool = all_themes(session, team_id) if closed else open_themes(session, team_id, today)
    found = [theme for theme in pool if wanted in theme.title.casefold()]
    titles = {theme.title.casefold() for theme in found}
    uses = labels_in_use(session, team_id) if labels else []
    named = [
        use.label
        for use in uses
        if wanted in use.label.casefold() and use.label.casefold() not in titles
    ]
    themes = found[:limit]
    shown = named[: max(0, limit - len(themes))]
    more = len(found) - len(themes) + len(named) - len(shown)
    return ThemeChoices(themes=themes, labels=shown, more=more)
