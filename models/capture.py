"""The ``/idea`` hot path in as few statements as each database allows.

One captured idea is: the request key claimed (so a retried delivery stores nothing twice), the
author found or created, the idea stored, and its similar-idea suggestions queued. On
PostgreSQL that is one statement (data-modifying CTEs); SQLite has no such CTEs, so there it is
three or four statements, all in-process. Either way: no ORM flush, no round trip for the
language (the author row returns it).

The key is claimed last, holding the idea's id as its result: if it was claimed before, the
statement stored an idea that must not stay, so the caller rolls the transaction back
(``duplicate``) and answers from the earlier result. Retries are rare; the common path pays
nothing for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from models.base import UTCDateTime
from models.entities import HandledRequest, Idea, IdeaStatus, OptIn, Participant, Stage
from models.suggestions import PendingSuggestion


@dataclass(frozen=True)
class NewIdea:
    request_key: str
    team_id: str
    user_id: str
    user_name: str | None
    kind: str
    title: str
    body: str
    search_text: str
    # Where its suggestions go: a response URL, or a channel (None and None: nowhere).
    reply_url: str | None
    channel_id: str | None
    now: datetime


@dataclass(frozen=True)
class Captured:
    """What the statement(s) gave back. ``idea_id`` None: no author row came back (a
    concurrent first request by the same person won the insert; try again)."""

    idea_id: int | None
    duplicate: bool
    author_id: int | None
    language: str | None
    slack_locale: str | None


# Parameters in SELECT lists carry explicit types: PostgreSQL cannot infer them there.
_POSTGRES = text(
    """
WITH found AS (
    SELECT id, language, slack_locale FROM participants
    WHERE team_id = CAST(:team_id AS VARCHAR) AND user_id = CAST(:user_id AS VARCHAR)
), made AS (
    INSERT INTO participants (team_id, user_id, display_name, opt_in, created_at, updated_at)
    SELECT CAST(:team_id AS VARCHAR), CAST(:user_id AS VARCHAR), CAST(:user_name AS VARCHAR),
           CAST(:opt_in AS VARCHAR), CAST(:now AS TIMESTAMPTZ), CAST(:now AS TIMESTAMPTZ)
    WHERE NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT (team_id, user_id) DO NOTHING
    RETURNING id, language, slack_locale
), author AS (
    SELECT * FROM found UNION ALL SELECT * FROM made
), idea AS (
    INSERT INTO ideas (author_id, kind, title, body, status, stage, search_text,
                       created_at, updated_at)
    SELECT id, CAST(:kind AS VARCHAR), CAST(:title AS VARCHAR), CAST(:body AS TEXT),
           CAST(:status AS VARCHAR), CAST(:stage AS VARCHAR), CAST(:search_text AS TEXT),
           CAST(:now AS TIMESTAMPTZ), CAST(:now AS TIMESTAMPTZ)
    FROM author
    RETURNING id
), claim AS (
    INSERT INTO handled_requests (key, result, created_at)
    SELECT CAST(:request_key AS VARCHAR), CAST(id AS VARCHAR), CAST(:now AS TIMESTAMPTZ)
    FROM idea
    ON CONFLICT (key) DO NOTHING
    RETURNING id
), pending AS (
    INSERT INTO pending_suggestions (idea_id, reply_url, channel_id, created_at)
    SELECT id, CAST(:reply_url AS VARCHAR), CAST(:channel_id AS VARCHAR),
           CAST(:now AS TIMESTAMPTZ)
    FROM idea
    WHERE CAST(:reply_url AS VARCHAR) IS NOT NULL OR CAST(:channel_id AS VARCHAR) IS NOT NULL
)
SELECT author.id, author.language, author.slack_locale, idea.id,
       (SELECT count(*) FROM claim)
FROM author LEFT JOIN idea ON true
"""
).bindparams(bindparam("now", type_=UTCDateTime()))


def capture_idea(session: Session, new: NewIdea) -> Captured:
    """Store ``new`` in the session's transaction; roll back when ``duplicate``."""
    if session.get_bind().dialect.name == "postgresql":
        return _capture_in_one_statement(session, new)
    return _capture_step_by_step(session, new)


def _values(new: NewIdea) -> dict[str, object]:
    return {
        "request_key": new.request_key,
        "team_id": new.team_id,
        "user_id": new.user_id,
        "user_name": new.user_name,
        "opt_in": OptIn.IN.value,
        "kind": new.kind,
        "title": new.title,
        "body": new.body,
        "status": IdeaStatus.OPEN.value,
        "stage": Stage.IDEA.value,
        "search_text": new.search_text,
        "reply_url": new.reply_url,
        "channel_id": new.channel_id,
        "now": new.now,
    }


def _capture_in_one_statement(session: Session, new: NewIdea) -> Captured:
    row = session.execute(_POSTGRES, _values(new)).one_or_none()
    if row is None:
        return Captured(None, False, None, None, None)
    author_id, language, slack_locale, idea_id, claimed = row
    return Captured(idea_id, claimed == 0, author_id, language, slack_locale)


# Core tables: an ORM-enabled insert would go through the unit of work's bulk path.
_PARTICIPANTS: Table = Participant.__table__  # type: ignore[assignment]
_IDEAS: Table = Idea.__table__  # type: ignore[assignment]
_HANDLED: Table = HandledRequest.__table__  # type: ignore[assignment]
_PENDING: Table = PendingSuggestion.__table__  # type: ignore[assignment]

_FIND_AUTHOR = select(
    _PARTICIPANTS.c.id, _PARTICIPANTS.c.language, _PARTICIPANTS.c.slack_locale
).where(
    _PARTICIPANTS.c.team_id == bindparam("team_id"),
    _PARTICIPANTS.c.user_id == bindparam("user_id"),
)


def _capture_step_by_step(session: Session, new: NewIdea) -> Captured:
    author = session.execute(
        _FIND_AUTHOR, {"team_id": new.team_id, "user_id": new.user_id}
    ).one_or_none()
    if author is None:
        author = session.execute(
            sqlite.insert(_PARTICIPANTS)
            .values(
                team_id=new.team_id,
                user_id=new.user_id,
                display_name=new.user_name,
                opt_in=OptIn.IN.value,
                created_at=new.now,
                updated_at=new.now,
            )
            .on_conflict_do_nothing()
            .returning(_PARTICIPANTS.c.id, _PARTICIPANTS.c.language, _PARTICIPANTS.c.slack_locale)
        ).one_or_none()
        if author is None:
            return Captured(None, False, None, None, None)
    author_id, language, slack_locale = author
    idea_id = session.execute(
        insert(_IDEAS)
        .values(
            author_id=author_id,
            kind=new.kind,
            title=new.title,
            body=new.body,
            status=IdeaStatus.OPEN.value,
            stage=Stage.IDEA.value,
            search_text=new.search_text,
            created_at=new.now,
            updated_at=new.now,
        )
        .returning(_IDEAS.c.id)
    ).scalar_one()
    claimed = session.execute(
        sqlite.insert(_HANDLED)
        .values(key=new.request_key, result=str(idea_id), created_at=new.now)
        .on_conflict_do_nothing()
        .returning(_HANDLED.c.id)
    ).scalar()
    if claimed is not None and (new.reply_url or new.channel_id):
        session.execute(
            insert(_PENDING).values(
                idea_id=idea_id,
                reply_url=new.reply_url,
                channel_id=new.channel_id,
                created_at=new.now,
            )
        )
    return Captured(idea_id, claimed is None, author_id, language, slack_locale)
