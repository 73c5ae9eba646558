"""``/idea``'s hot path writes with the driver's own statements (``models/capture.py``): the rows
must be those the ORM would write, a request key must store one idea however its copies
arrive, and the connection must go back to the pool as the ORM expects it."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

from sqlalchemy import select, text

from models import Idea, IdeaKind, IdeaStatus, OptIn, Participant, PendingSuggestion, Stage
from models.base import utcnow
from models.capture import Captured, NewIdea, capture_idea, single_statement
from models.db import Database
from models.entities import HandledRequest


def new_idea(key: str, user: str = "UCAPTURE", **changes: object) -> NewIdea:
    values: dict[str, object] = {
        "request_key": key,
        "team_id": "T1",
        "user_id": user,
        "user_name": "capture",
        "kind": IdeaKind.IDEA.value,
        "title": "Bike repair",
        "body": "Bike repair evenings at the library",
        "search_text": "bike repair evenings\n bike repair ",
        "reply_url": "https://hooks.example/respond/1",
        "channel_id": None,
        "now": utcnow(),
    }
    values.update(changes)
    return NewIdea(**values)  # type: ignore[arg-type]


def capture(database: Database, new: NewIdea) -> Captured:
    dialect = database.engine.dialect
    return database.in_driver_transaction(
        lambda cursor: capture_idea(cursor, dialect, new),
        single_statement=single_statement(dialect),
    )


def test_captured_rows_read_back_as_the_orm_writes_them(database: Database) -> None:
    new = new_idea("command:capture-1")
    captured = capture(database, new)
    assert not captured.duplicate and captured.idea_id is not None
    with database.session() as session:
        idea = session.get(Idea, captured.idea_id)
        assert idea is not None
        assert (idea.kind, idea.status, idea.stage) == (IdeaKind.IDEA, IdeaStatus.OPEN, Stage.IDEA)
        assert (idea.title, idea.body, idea.search_text) == (new.title, new.body, new.search_text)
        assert idea.created_at == new.now and idea.created_at.tzinfo is not None
        author = idea.author
        assert (author.team_id, author.user_id, author.opt_in) == ("T1", "UCAPTURE", OptIn.IN)
        assert author.id == captured.author_id and author.created_at == new.now
        pending = session.get(PendingSuggestion, idea.id)
        assert pending is not None and pending.reply_url == new.reply_url
        claim = session.scalar(select(HandledRequest).where(HandledRequest.key == new.request_key))
        assert claim is not None and claim.result == str(idea.id)
        # Stored as the ORM stores a datetime (SQLite keeps text): ordering and range queries
        # see the captured rows among the others.
        written = Participant(team_id="T1", user_id="UORM", created_at=new.now, updated_at=new.now)
        session.add(written)
        session.flush()
        stored = session.execute(text("SELECT created_at FROM participants ORDER BY id")).scalars()
        assert len(set(map(repr, stored))) == 1
        later = session.scalars(
            select(Idea.id).where(Idea.created_at > new.now - timedelta(seconds=1))
        ).all()
        assert later == [idea.id]


def test_a_known_author_is_found_and_a_second_key_stores_a_second_idea(
    database: Database,
) -> None:
    first = capture(database, new_idea("command:capture-a"))
    second = capture(database, new_idea("command:capture-b"))
    assert first.author_id == second.author_id
    assert first.idea_id != second.idea_id
    with database.session() as session:
        assert session.scalar(select(Participant.id).where(Participant.user_id == "UCAPTURE"))


def test_a_claimed_key_stores_nothing_more(database: Database) -> None:
    capture(database, new_idea("command:capture-again"))
    again = capture(database, new_idea("command:capture-again"))
    assert again.duplicate
    with database.session() as session:
        # On SQLite the caller rolls ``again`` back; on PostgreSQL nothing was written.
        ideas = session.scalars(select(Idea.id)).all()
    assert len(ideas) == 1 + (0 if single_statement(database.engine.dialect) else 1)


def test_copies_of_one_request_in_flight_at_once_store_one_idea(database: Database) -> None:
    """Eight threads send the same key at the same moment, by one new author: one idea, one
    claim, and every other copy is told it is a duplicate (or to try again, for the author)."""
    start = threading.Barrier(8)
    outcomes: list[Captured] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        dialect = database.engine.dialect

        def work(cursor: object) -> Captured:
            captured = capture_idea(cursor, dialect, new_idea("command:race", user="URACE"))
            if captured.author_id is None:
                captured = capture_idea(cursor, dialect, new_idea("command:race", user="URACE"))
            if captured.duplicate:
                raise _Duplicate(captured)
            return captured

        try:
            done = database.in_driver_transaction(work, single_statement=single_statement(dialect))
        except _Duplicate as duplicate:
            done = duplicate.captured
        with lock:
            outcomes.append(done)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 8
    assert sum(not outcome.duplicate for outcome in outcomes) == 1
    with database.session() as session:
        assert len(session.scalars(select(Idea.id)).all()) == 1
        assert len(session.scalars(select(Participant.id)).all()) == 1
        assert len(session.scalars(select(HandledRequest.id)).all()) == 1


class _Duplicate(Exception):
    def __init__(self, captured: Captured):
        self.captured = captured


def test_a_failed_driver_transaction_leaves_the_pool_as_the_orm_expects_it(
    database: Database,
) -> None:
    dialect = database.engine.dialect
    # Autocommit (one statement, no transaction) is the PostgreSQL driver's.
    modes = (False, True) if single_statement(dialect) else (False,)
    for single in modes:

        def fail_after_writing(cursor: object, key: str = f"command:failed-{single}") -> None:
            capture_idea(cursor, dialect, new_idea(key))
            raise RuntimeError("after the statement")

        with contextlib.suppress(RuntimeError):
            database.in_driver_transaction(fail_after_writing, single_statement=single)
        # The next session gets a pooled connection in the ORM's mode: what it writes and
        # then rolls back is gone.
        try:
            with database.session() as session:
                session.add(Participant(team_id="T1", user_id="UROLLBACK"))
                session.flush()
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        with database.session() as session:
            assert "UROLLBACK" not in session.scalars(select(Participant.user_id)).all()
    with database.session() as session:
        keys = session.scalars(select(HandledRequest.key)).all()
    # In a transaction, rolled back; a single statement had committed by itself.
    assert keys == (["command:failed-True"] if single_statement(dialect) else [])
