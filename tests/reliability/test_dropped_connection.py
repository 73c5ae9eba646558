"""A connection that dies under the ack transaction: ``Database.in_transaction`` runs the work
once more on a fresh connection (no pre-ping on the hot path). PostgreSQL only: an SQLite
connection cannot be dropped by a server."""

from __future__ import annotations

import os
import select
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.db import Database
from tests.databases import scratch_postgres_database

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")

if SERVER_URL.startswith("postgresql"):

    def test_work_whose_connection_was_killed_runs_once_more() -> None:
        with scratch_postgres_database(SERVER_URL, "collider_dropped") as url:
            database = Database(url)
            killer = Database(url)
            attempts: list[int] = []
            try:

                def work(session: Session) -> int:
                    attempts.append(1)
                    connection = session.connection().connection.dbapi_connection
                    if len(attempts) == 1:
                        # Killed after the checkout (its check passed), before the first
                        # statement: as when the server goes away mid-request.
                        pid = connection.info.backend_pid
                        with killer.engine.connect() as other:
                            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                        select.select([connection.fileno()], [], [], 5)
                        time.sleep(0.05)
                    return int(session.execute(text("SELECT 41 + 1")).scalar_one())

                assert database.in_transaction(work) == 42
                assert len(attempts) == 2
            finally:
                database.dispose()
                killer.dispose()

    def test_driver_work_whose_connection_was_killed_runs_once_more() -> None:
        """The same for ``/idea``'s driver statements, in a transaction or as one statement
        (autocommit): the dead connection is not handed out again, nor left in autocommit."""
        with scratch_postgres_database(SERVER_URL, "collider_dropped") as url:
            database = Database(url)
            killer = Database(url)
            try:
                for single_statement in (False, True):
                    attempts: list[int] = []

                    def work(cursor: Any, attempts: list[int] = attempts) -> int:
                        attempts.append(1)
                        connection = cursor.connection
                        if len(attempts) == 1:
                            pid = connection.info.backend_pid
                            with killer.engine.connect() as other:
                                other.execute(
                                    text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                                )
                            select.select([connection.fileno()], [], [], 5)
                            time.sleep(0.05)
                        cursor.execute("SELECT 41 + 1")
                        return int(cursor.fetchone()[0])

                    assert (
                        database.in_driver_transaction(work, single_statement=single_statement)
                        == 42
                    )
                    assert len(attempts) == 2
                    with database.session() as session:
                        connection = session.connection().connection.dbapi_connection
                        assert connection is not None and not connection.autocommit
            finally:
                database.dispose()
                killer.dispose()
