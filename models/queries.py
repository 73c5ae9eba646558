"""Query helpers shared by the services. They take the session first and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.entities import HandledRequest, Participant


def dialect_insert(session: Session) -> Any:
    """The ``insert`` of the session's dialect, which has ``on_conflict_do_*`` (PostgreSQL's or
    SQLite's: the two backends this project runs on)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_ignoring_conflict(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    Both backends block a concurrent insert of the same key until the first transaction ends,
    so exactly one caller wins, without savepoints (which pysqlite handles badly).
    """
    primary_key = next(iter(table.primary_key.columns))
    statement = (
        dialect_insert(session)(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(primary_key)
    )
    return session.execute(statement).scalar() is not None


def insert_many_ignoring_conflict(
    session: Session, table: Table, rows: list[dict[str, Any]]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING for every row, as one batched statement (SQLAlchemy's
    "insertmanyvalues"): a sweep of 200 ideas records its 600 offers in one round trip or a few,
    not 600."""
    if not rows:
        return
    session.execute(dialect_insert(session)(table).on_conflict_do_nothing(), rows)


def claim_request(session: Session, key: str) -> bool:
    """Record that the request ``key`` is being handled; False if it was handled before."""
    return insert_ignoring_conflict(session, HandledRequest.__table__, {"key": key})  # type: ignore[arg-type]


def set_request_result(session: Session, key: str, result: str) -> None:
    # One UPDATE rather than loading the row first: this runs inside every captured idea.
    session.execute(
        update(HandledRequest).where(HandledRequest.key == key).values(result=result),
        execution_options={"synchronize_session": False},
    )


def request_result(session: Session, key: str) -> str | None:
    return session.scalar(select(HandledRequest.result).where(HandledRequest.key == key))


# The states of an interaction's claim (``handlers.replays``): being handled, or done.
REQUEST_PENDING = "pending"
REQUEST_DONE = "done"


def settle_interaction(session: Session, key: str) -> None:
    """Mark ``key`` done: called in the transaction of the effect, so both commit or neither."""
    set_request_result(session, key, REQUEST_DONE)


def release_interaction(session: Session, key: str) -> None:
    """Forget a pending claim whose attempt had no effect, so that it may be tried again."""
    session.execute(
        delete(HandledRequest).where(
            HandledRequest.key == key, HandledRequest.result == REQUEST_PENDING
        ),
        execution_options={"synchronize_session": False},
    )


def find_participant(session: Session, team_id: str, user_id: str) -> Participant | None:
    return session.scalars(
        select(Participant).where(Participant.team_id == team_id, Participant.user_id == user_id)
    ).one_or_none()


def forget_handled_requests(session: Session, before: datetime) -> int:
    """Drop request keys older than ``before``: Slack retries within minutes, not weeks."""
    result = session.execute(delete(HandledRequest).where(HandledRequest.created_at < before))
    assert isinstance(result, CursorResult)
    return result.rowcount
