"""Data rights: everything held about a person, and forgetting them.

Forgetting keeps the participant row and their ideas as anonymous tombstones (so counts,
groups and pipeline statistics stay consistent) and removes everything that is or may be
personal: Slack user id, name, organisation, language, and the text they wrote.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from i18n import t
from models import (
    Base,
    Charter,
    Experiment,
    Idea,
    IdeaStage,
    OptIn,
    StageEvaluationInvite,
    StrategyGoal,
    Theme,
)
from models.base import utcnow
from models.queries import find_participant
from services.participants import SlackUser

FORMAT_VERSION = 1
TOMBSTONE_PREFIX = "forgotten-"
# Derived copies of personal text; the export shows the text itself once.
_LEFT_OUT = {"search_text"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def row_as_dict(row: Base) -> dict[str, Any]:
    """Every column of an ORM row as JSON-ready values."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__mapper__.columns
        if column.key not in _LEFT_OUT
    }


def personal_data(session: Session, user: SlackUser) -> dict[str, Any] | None:
    """All data held about the person, or None when nothing is held."""
    participant = find_participant(session, user.team_id, user.user_id)
    if participant is None:
        return None
    ideas = session.scalars(
        select(Idea).where(Idea.author_id == participant.id).order_by(Idea.id)
    ).all()
    made = session.scalars(
        select(IdeaStage).where(IdeaStage.changed_by_id == participant.id).order_by(IdeaStage.id)
    ).all()
    themes = session.scalars(
        select(Theme).where(Theme.created_by_id == participant.id).order_by(Theme.id)
    ).all()
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": utcnow().isoformat(),
        "participant": row_as_dict(participant),
        "ideas": [
            {**row_as_dict(idea), "stages": [row_as_dict(change) for change in idea.stages]}
            for idea in ideas
        ],
        "stage_changes_made": [row_as_dict(change) for change in made],
        "themes_created": [row_as_dict(theme) for theme in themes],
        **programme_data(session, participant.id),
    }


def programme_data(session: Session, participant_id: int) -> dict[str, Any]:
    """The programme's rows that name the person (stage evaluation answers are anonymous and
    cannot be told apart, so only *whether* they answered is theirs)."""

    def rows(model: Any, *conditions: Any) -> list[dict[str, Any]]:
        found = session.scalars(select(model).where(or_(*conditions)).order_by(model.id))
        return [row_as_dict(row) for row in found]

    return {
        "strategy_goals_created": rows(StrategyGoal, StrategyGoal.created_by_id == participant_id),
        "charters_edited": rows(Charter, Charter.updated_by_id == participant_id),
        "experiments": rows(
            Experiment,
            Experiment.created_by_id == participant_id,
            Experiment.result_by_id == participant_id,
        ),
        "stage_evaluations_asked": rows(
            StageEvaluationInvite, StageEvaluationInvite.participant_id == participant_id
        ),
    }


def forget_programme_links(session: Session, participant_id: int) -> None:
    """Unlink the person from the programme's rows; the group's work (charters, cards) stays."""
    for model, column in (
        (StrategyGoal, StrategyGoal.created_by_id),
        (Charter, Charter.updated_by_id),
        (Experiment, Experiment.created_by_id),
        (Experiment, Experiment.result_by_id),
    ):
        session.execute(update(model).where(column == participant_id).values({column.key: None}))
    # Who was asked to evaluate a stage, and whether they answered, is about them.
    session.execute(
        delete(StageEvaluationInvite).where(StageEvaluationInvite.participant_id == participant_id)
    )


@dataclass(frozen=True)
class Forgotten:
    participant_id: int
    ideas: int


def forget(session: Session, user: SlackUser, language: str) -> Forgotten | None:
    """Remove the person's personal data; None when nothing was held.

    ``language`` is the workspace's language, for the note that replaces their texts.
    """
    participant = find_participant(session, user.team_id, user.user_id)
    if participant is None:
        return None
    participant.user_id = f"{TOMBSTONE_PREFIX}{uuid.uuid4().hex[:20]}"
    participant.display_name = None
    # The organisation's name identifies a person in a small group; its type (one of six
    # categories) does not, and keeps the mix of organisation types in reports right.
    participant.organisation = None
    participant.language = None
    participant.slack_locale = None
    participant.opt_in = OptIn.OUT
    participant.paused_until = None
    participant.forgotten_at = utcnow()
    # A role such as "councillor" picks a person out of a small city's programme.
    participant.role = None
    forget_programme_links(session, participant.id)
    ideas = session.scalars(select(Idea).where(Idea.author_id == participant.id)).all()
    for idea in ideas:
        anonymize_idea(idea, language)
    return Forgotten(participant_id=participant.id, ideas=len(ideas))


def anonymize_idea(idea: Idea, language: str) -> None:
    """Keep what is not personal (kind, theme, stage, status, dates); replace the texts."""
    idea.title = t("privacy.removed_title", language)
    idea.body = t("privacy.removed_body", language)
    idea.language = None
    idea.search_text = ""
    idea.source_url = None  # a link to their own message
    idea.import_key = None  # a hash of their text
    # Notes on the stages of their idea are about them and may name them.
    for change in idea.stages:
        change.note = ""
