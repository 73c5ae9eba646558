"""The ``/idea`` hot path in as few statements as each database allows.

One captured idea is: the request key claimed (so a retried delivery stores nothing twice), the
author found or created, the idea stored, and its similar-idea suggestions queued. On
PostgreSQL that is one statement (data-modifying CTEs); SQLite has no such CTEs, so there it is
four statements (five for a new author), all in-process. Either way: no round trip for the
language (the author row returns it).

The statements are the driver's own (``Database.in_driver_transaction`` hands over a DB-API
cursor): SQLAlchemy's statement building, compilation cache look-ups, result objects and the
ORM session cost more CPU per idea than the database does (profiled: ``benchmarks/
profile_ack.py``). So this module writes the SQL itself, with the same columns and stored
values as the ORM would (enum values, UTC datetimes through ``UTCDateTime``'s own bind
processor); ``tests/models/test_capture.py`` compares the rows with ones the ORM wrote.

The key is claimed last, holding the idea's id as its result: if it was claimed before, the
statement stored an idea that must not stay, so the caller rolls the transaction back
(``duplicate``) and answers from the earlier result. Retries are rare; the common path pays
nothing for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.engine import Dialect

from models.base import UTCDateTime
from models.entities import IdeaStatus, OptIn, Stage


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
    """What the statement(s) gave back. ``author_id`` None: no author row came back (a
    concurrent first request by the same person won the insert; try again). ``duplicate``:
    the request key was claimed before (``idea_id`` is then None on PostgreSQL, where
    nothing was written, and the idea to roll back on SQLite)."""

    idea_id: int | None
    duplicate: bool
    author_id: int | None
    language: str | None
    slack_locale: str | None


# One statement, atomic by itself, so it runs without BEGIN and COMMIT (one round trip, not
# three). The idea's id is drawn first, so the key can be claimed holding it *before* the idea
# is stored: a key claimed already (a retried delivery, even one in flight: ON CONFLICT waits
# for it) stores nothing, and there is nothing to roll back. Every insert depends on the
# author row: if a concurrent first request of the same person won the participant insert,
# nothing is written and no row comes back (try again). Parameters in SELECT lists carry
# explicit types: PostgreSQL cannot infer them there.
_POSTGRES = """
WITH found AS (
    SELECT id, language, slack_locale FROM participants
    WHERE team_id = CAST(%(team_id)s AS VARCHAR) AND user_id = CAST(%(user_id)s AS VARCHAR)
), made AS (
    INSERT INTO participants (team_id, user_id, display_name, opt_in, created_at, updated_at)
    SELECT CAST(%(team_id)s AS VARCHAR), CAST(%(user_id)s AS VARCHAR),
           CAST(%(user_name)s AS VARCHAR), CAST(%(opt_in)s AS VARCHAR),
           CAST(%(now)s AS TIMESTAMPTZ), CAST(%(now)s AS TIMESTAMPTZ)
    WHERE NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT (team_id, user_id) DO NOTHING
    RETURNING id, language, slack_locale
), author AS (
    SELECT * FROM found UNION ALL SELECT * FROM made
), new_idea AS (
    SELECT nextval(pg_get_serial_sequence('ideas', 'id')) AS id FROM author
), claim AS (
    INSERT INTO handled_requests (key, result, created_at)
    SELECT CAST(%(request_key)s AS VARCHAR), CAST(id AS VARCHAR), CAST(%(now)s AS TIMESTAMPTZ)
    FROM new_idea
    ON CONFLICT (key) DO NOTHING
    RETURNING CAST(result AS INTEGER) AS id
), idea AS (
    INSERT INTO ideas (id, author_id, kind, title, body, status, stage, search_text,
                       created_at, updated_at)
    SELECT claim.id, author.id, CAST(%(kind)s AS VARCHAR), CAST(%(title)s AS VARCHAR),
           CAST(%(body)s AS TEXT), CAST(%(status)s AS VARCHAR), CAST(%(stage)s AS VARCHAR),
           CAST(%(search_text)s AS TEXT), CAST(%(now)s AS TIMESTAMPTZ),
           CAST(%(now)s AS TIMESTAMPTZ)
    FROM claim, author
    RETURNING id
), pending AS (
    INSERT INTO pending_suggestions (idea_id, reply_url, channel_id, created_at)
    SELECT id, CAST(%(reply_url)s AS VARCHAR), CAST(%(channel_id)s AS VARCHAR),
           CAST(%(now)s AS TIMESTAMPTZ)
    FROM idea
    WHERE CAST(%(reply_url)s AS VARCHAR) IS NOT NULL
       OR CAST(%(channel_id)s AS VARCHAR) IS NOT NULL
)
SELECT author.id, author.language, author.slack_locale, idea.id
FROM author LEFT JOIN idea ON true
"""

_SQLITE_FIND_AUTHOR = (
    "SELECT id, language, slack_locale FROM participants"
    " WHERE team_id = :team_id AND user_id = :user_id"
)
_SQLITE_MAKE_AUTHOR = (
    "INSERT INTO participants (team_id, user_id, display_name, opt_in, created_at, updated_at)"
    " VALUES (:team_id, :user_id, :user_name, :opt_in, :now, :now)"
    " ON CONFLICT (team_id, user_id) DO NOTHING RETURNING id, language, slack_locale"
)
_SQLITE_IDEA = (
    "INSERT INTO ideas (author_id, kind, title, body, status, stage, search_text, created_at,"
    " updated_at) VALUES (:author_id, :kind, :title, :body, :status, :stage, :search_text,"
    " :now, :now) RETURNING id"
)
_SQLITE_CLAIM = (
    "INSERT INTO handled_requests (key, result, created_at) VALUES (:request_key, :result, :now)"
    " ON CONFLICT (key) DO NOTHING RETURNING id"
)
_SQLITE_PENDING = (
    "INSERT INTO pending_suggestions (idea_id, reply_url, channel_id, created_at)"
    " VALUES (:idea_id, :reply_url, :channel_id, :now)"
)


def single_statement(dialect: Dialect) -> bool:
    """Whether ``capture_idea`` writes in one statement on ``dialect`` (then it needs no
    transaction around it, and leaves nothing to roll back when ``duplicate``)."""
    return dialect.name == "postgresql"


def capture_idea(cursor: Any, dialect: Dialect, new: NewIdea) -> Captured:
    """Store ``new`` with ``cursor``; in a transaction unless ``single_statement``, which the
    caller rolls back when ``duplicate``."""
    values = _values(new, dialect)
    if dialect.name == "postgresql":
        return _capture_in_one_statement(cursor, values)
    return _capture_step_by_step(cursor, values)


@cache
def datetime_binder(dialect: Dialect) -> Any:
    """How the ORM stores a datetime on ``dialect`` (SQLite: naive UTC text). The dialect's
    own implementation of the type: the generic one would hand SQLite the datetime, which its
    driver writes with ``+00:00``, a text that sorts apart from the ORM's."""
    return UTCDateTime().dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def _values(new: NewIdea, dialect: Dialect) -> dict[str, object]:
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
        "now": datetime_binder(dialect)(new.now),
    }


def _capture_in_one_statement(cursor: Any, values: dict[str, object]) -> Captured:
    cursor.execute(_POSTGRES, values)
    row = cursor.fetchone()
    if row is None:
        return Captured(None, False, None, None, None)
    author_id, language, slack_locale, idea_id = row
    # An author and no idea: the key was claimed before, and nothing was written.
    return Captured(idea_id, idea_id is None, author_id, language, slack_locale)


def _capture_step_by_step(cursor: Any, values: dict[str, object]) -> Captured:
    author = cursor.execute(_SQLITE_FIND_AUTHOR, values).fetchone()
    if author is None:
        author = cursor.execute(_SQLITE_MAKE_AUTHOR, values).fetchone()
        if author is None:
            return Captured(None, False, None, None, None)
    author_id, language, slack_locale = author
    (idea_id,) = cursor.execute(_SQLITE_IDEA, {**values, "author_id": author_id}).fetchone()
    claimed = cursor.execute(_SQLITE_CLAIM, {**values, "result": str(idea_id)}).fetchone()
    if claimed is not None and (values["reply_url"] or values["channel_id"]):
        cursor.execute(_SQLITE_PENDING, {**values, "idea_id": idea_id})
    return Captured(idea_id, claimed is None, author_id, language, slack_locale)
