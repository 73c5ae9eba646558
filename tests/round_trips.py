"""What a piece of work sends to the database, counted where it leaves the driver: also the
statements SQLAlchemy and the driver add on their own (BEGIN, COMMIT, the pool's ROLLBACK on
return), which a ``before_cursor_execute`` listener never sees, and the driver statements of
``Database.in_driver_transaction``, which bypass SQLAlchemy altogether.

- PostgreSQL: libpq's own trace of the wire protocol, one entry per round trip (each ends with
  the server's ``ReadyForQuery``), named by the statement it carried.
- SQLite: every statement ``sqlite3`` runs (its trace callback); there are no round trips, but
  each statement is still work.

Connections are traced from checkout to checkin, so what the pool does on return counts too.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import pq
from sqlalchemy import event

from models.db import Database


@contextmanager
def statements_sent(database: Database) -> Iterator[list[str]]:
    """The statements (PostgreSQL: the round trips) this process's pooled connections send
    while the block runs, in the order each connection was given back to the pool."""
    sent: list[str] = []
    lock = threading.Lock()
    engine = database.engine
    postgres = engine.dialect.name == "postgresql"
    traces: dict[int, Any] = {}

    def checked_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if postgres:
            # Closed when the connection comes back (or when the block ends).
            trace = tempfile.TemporaryFile("w+")  # noqa: SIM115
            traces[id(dbapi_connection)] = (dbapi_connection, trace)
            dbapi_connection.pgconn.trace(trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(
                pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
            )
        else:
            mine: list[str] = []
            traces[id(dbapi_connection)] = (dbapi_connection, mine)
            dbapi_connection.set_trace_callback(mine.append)

    def checked_in(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is None or id(dbapi_connection) not in traces:
            return
        _, traced = traces.pop(id(dbapi_connection))
        if postgres:
            dbapi_connection.pgconn.untrace()  # flushes what libpq wrote
            traced.seek(0)
            statements = _round_trips(traced.read(), _prepared_statements(dbapi_connection))
            traced.close()
        else:
            dbapi_connection.set_trace_callback(None)
            statements = traced
        with lock:
            sent.extend(statements)

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", checked_out)
        event.remove(engine, "checkin", checked_in)
        # Still out (work that outlived the block): not counted, and no longer traced.
        for dbapi_connection, traced in traces.values():
            if postgres:
                dbapi_connection.pgconn.untrace()
                traced.close()
            else:
                dbapi_connection.set_trace_callback(None)


def _round_trips(trace: str, prepared: dict[str, str]) -> list[str]:
    """One entry per exchange that ended with the server's ``ReadyForQuery``: the statement the
    client sent (one prepared earlier, sent again by name only, by its text in ``prepared``)."""
    found: list[str] = []
    current: list[str] = []
    runs = False  # whether the exchange ran a statement, not only prepared one
    for line in _MESSAGE.split(trace):
        direction, _length, message, text = [*line.split("\t", 3), "", "", ""][:4]
        text = text.strip()
        if direction == "F" and message in _STATEMENT_IN:
            runs = runs or message != "Parse"
            match = _STATEMENT_IN[message].match(text)
            if match:
                current.append(match["query"] or prepared.get(match["name"], text))
        elif direction == "B" and message == "ReadyForQuery":
            # psycopg prepares a statement the fifth time a connection runs it, in an exchange
            # of its own: once per pooled connection, not the work's own, so not counted (a
            # test would otherwise count it or not by how often earlier tests ran the query).
            if runs or not current:
                found.append(current[0] if current else "(no statement)")
            current, runs = [], False
    return found


# Each message of the trace starts a line with its direction (a statement's text may span lines).
_MESSAGE = re.compile(r"\n(?=[FB]\t)")
# Where the statement is in the messages that carry one (libpq quotes strings as they are).
_STATEMENT_IN = {
    "Query": re.compile(r'^"(?P<query>.*)"$(?P<name>)', re.DOTALL),
    "Parse": re.compile(r'^"(?P<name>[^"]*)" "(?P<query>.*)" \d+(?: \S+)*$', re.DOTALL),
    "Bind": re.compile(r'^"[^"]*" "(?P<name>[^"]*)"(?P<query>)'),
}


def _prepared_statements(dbapi_connection: Any) -> dict[str, str]:
    """psycopg prepares a statement it has run five times, then sends only its name: the
    texts by name, from psycopg's own book of them."""
    names = dbapi_connection._prepared._names
    return {name.decode(): query.decode() for (query, _types), name in names.items()}


def count(statements: list[str], starting: str) -> int:
    """How many of ``statements`` start with ``starting`` (any case, quotes ignored)."""
    prefix = starting.upper()
    return sum(1 for statement in statements if statement.lstrip().upper().startswith(prefix))
