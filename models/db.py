"""The one engine and session factory of a process.

The caller owns the session: each listener call and each job opens
``with database.session() as session:`` (a transaction that commits on success) and passes the
session down. Query functions never commit.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # Windows: no advisory file locks; SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers work beside the single writer; the busy timeout makes writers queue
    # instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content is zeroed, not left in free space of the file: an erased
    # person's texts must not be readable from the file's bytes.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint_after_commit(session: Session) -> None:
    """Once ``session`` commits, copy SQLite's write-ahead log into the file and empty it.

    Until a checkpoint, the pages of an erasure (and the old versions they replaced) sit in the
    ``-wal`` file. Nothing happens on other databases, or when the session rolls back.
    """

    def checkpoint(committed: Session) -> None:
        engine = committed.get_bind().engine
        if engine.dialect.name != "sqlite":
            return
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    event.listen(session, "after_commit", checkpoint, once=True)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # No pre-ping (a round trip before every transaction): a connection the server closed is
    # seen at checkout without one (_closed_by_server), and one that dies in use is retried
    # once by Database.in_transaction.
    engine = create_engine(url, pool_size=10, max_overflow=20)
    event.listen(engine, "checkout", _closed_by_server)
    return engine


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has closed or spoken on while it was idle.

    An idle connection has nothing to read unless the server ended it (a restart sends a
    termination notice, then closes): a zero-timeout poll of its socket tells, with no round
    trip. The pool then opens a new connection instead.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("connection closed")
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError("connection ended by the server while idle")


_held = threading.local()


def holding_the_database() -> bool:
    """Whether this thread is inside a SQLite session of this process (holds its lock): then
    every other thread of the process that needs the database waits for it."""
    return getattr(_held, "depth", 0) > 0


def _wait_without_stalling(work: Callable[[], object]) -> None:
    """Run ``work``, which blocks, without stopping the other greenlets of a gevent worker.

    In a thread the wait releases the GIL and the process's other threads go on. Under gevent
    (``collider run --http``'s default worker) a blocking call in the hub's thread stops every
    request of the worker, so it waits in gevent's pool of real threads instead.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        from gevent import get_hub

        get_hub().threadpool.apply(work)
    else:
        work()


class _FileLock:
    """The SQLite file for one process of the machine at a time: an advisory lock (``flock``)
    on a file beside it.

    Without it, the processes of one server (``collider run --http`` has two workers) meet in
    SQLite's busy handler, which polls a locked file with sleeps growing to 100 ms: a writer may
    wait far longer than the writes take, and under gevent the sleep stops its whole worker
    (``/idea`` p99 3.9x the floor's on SQLite, 1.0x on PostgreSQL, in one run). A waiter here
    is woken the moment the holder unlocks. Processes that do not take it (another program on
    the file) still meet the busy timeout.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None
        self._pid = 0

    def acquire(self) -> None:
        assert fcntl is not None
        descriptor = self._own_descriptor()
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _wait_without_stalling(lambda: fcntl.flock(descriptor, fcntl.LOCK_EX))

    def release(self) -> None:
        assert fcntl is not None and self._descriptor is not None
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def _own_descriptor(self) -> int:
        # A forked child inherits its parent's descriptor, and with it the parent's lock (a
        # flock belongs to the open file, not the process): each process opens its own.
        if self._descriptor is None or self._pid != os.getpid():
            if self._descriptor is not None:
                os.close(self._descriptor)
            self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._descriptor


class _OneAtATime:
    """The process's SQLite lock: held for the whole of each session (and driver transaction).
    From its first write to its end, the outermost session also holds the lock file that the
    machine's other processes take (``_FileLock``); a session that only reads never waits for
    another process (WAL lets it read beside their writer), so a long report in one process
    does not stop the acks of the others.

    Whole sessions, not only their writes, within a process: a transaction that read first and
    then writes would otherwise meet a writer that committed in between, and SQLite refuses
    that upgrade at once (``SQLITE_BUSY_SNAPSHOT``), without the busy timeout. Between
    processes that cannot happen: Python's sqlite3 opens a transaction only at the first write
    (reads before it are finished statements, not an open snapshot), and the lock file is taken
    before that write.

    Why it cannot deadlock with the other locks of the process (``bot/rate_limit.py``'s token
    buckets and pacer, ``handlers/slack_users.py``'s directory, ``scheduler/context.py``, the
    similar-idea index cache, ``services/programme_home.py``'s kept figures): those are held only around a few dict and arithmetic steps, and
    nothing is called under them that takes another lock, opens a session or asks Slack (a
    paced call sleeps *outside* the bucket's lock). The one nesting is this lock, then the index
    cache's (``services/similar_ideas.py``: a request holds a session when it asks the cache,
    and the sweeper opens its session before taking the cache's lock), always in that order.
    A thread that holds this lock must not wait for another thread, or another process, that
    needs the database, nor for Slack's pacing: ``holding_the_database`` lets the gateway tell
    (``bot/slack_gateway.py``). ``tests/models/test_database_lock.py`` holds each of these to
    the rule with timeouts.
    """

    def __init__(self, across_processes: _FileLock | None) -> None:
        self._lock = threading.RLock()
        self._across_processes = across_processes
        # Changed only by the thread that holds ``_lock``: how deep it is (sessions nest), and
        # whether it holds the lock file, which the outermost session gives back.
        self._owner: int | None = None
        self._depth = 0
        self._file_held = False

    def __enter__(self) -> None:
        self._lock.acquire()
        self._owner = threading.get_ident()
        self._depth += 1
        _held.depth = getattr(_held, "depth", 0) + 1

    def __exit__(self, *exc: object) -> None:
        _held.depth -= 1
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            if self._file_held:
                self._file_held = False
                assert self._across_processes is not None
                self._across_processes.release()
        self._lock.release()

    def before_writing(self) -> None:
        """Called before each write statement: the session about to write takes the file from
        the other processes, if it has not yet. Writes outside a session (migrations, a test's
        cleanup) are left to SQLite's busy timeout, as before."""
        if self._across_processes is None or self._file_held:
            return
        if self._owner != threading.get_ident():
            return
        self._across_processes.acquire()
        self._file_held = True


def _is_read(statement: str) -> bool:
    return statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


class _WritesTakeTheFile:
    """A DB-API cursor that calls ``before_writing`` before a statement that writes."""

    def __init__(self, cursor: Any, lock: _OneAtATime) -> None:
        self._cursor = cursor
        self._lock = lock

    def execute(self, statement: str, *args: Any) -> Any:
        if not _is_read(statement):
            self._lock.before_writing()
        return self._cursor.execute(statement, *args)

    def executemany(self, statement: str, *args: Any) -> Any:
        if not _is_read(statement):
            self._lock.before_writing()
        return self._cursor.executemany(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer per file. Threads that find it locked poll in SQLite's busy
        # handler with sleeps growing to 100 ms, so under load some wait far longer than the
        # writes take (p99 ack 750 ms at 20 /idea in flight). Queueing on a lock hands the file
        # over the moment it is free; the lock file does the same between processes.
        # Re-entrant, so a nested session in one thread still works. See ``_OneAtATime`` for why
        # it cannot deadlock with the process's other locks.
        self._one_at_a_time: AbstractContextManager[object] = nullcontext()
        self._sqlite_lock: _OneAtATime | None = None
        if self.engine.dialect.name == "sqlite":
            sqlite_lock = _OneAtATime(_file_lock_of(self.engine))
            self._one_at_a_time = self._sqlite_lock = sqlite_lock

            def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
                if not _is_read(statement):
                    sqlite_lock.before_writing()

            event.listen(self.engine, "before_cursor_execute", before_cursor_execute)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        with self._one_at_a_time, self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (a search, a page of a list): on PostgreSQL outside any
        transaction (the connection in autocommit, as SQLAlchemy sets it), which saves the
        BEGIN and COMMIT round trips; each statement sees what was committed when it began.
        Elsewhere it is ``session()`` (SQLite opens no transaction for reads anyway).

        A write in it is refused (each statement would commit by itself).
        """
        if self.engine.dialect.name != "postgresql":
            with self.session() as session:
                event.listen(session, "before_flush", _refuse_writes)
                yield session
            return
        with (
            self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection,
            self._sessions(bind=connection) as session,
        ):
            event.listen(session, "before_flush", _refuse_writes)
            yield session

    def in_transaction(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a transaction, once more if the connection turned out dead.

        A connection lost before the commit committed nothing, so running ``work`` again on a
        fresh one is safe. One lost *during* the commit leaves it in doubt: ``work`` must then
        be idempotent (``/idea`` is: its request key is claimed in the same transaction).
        Any other error rises as it is.
        """
        try:
            with self.session() as session:
                return work(session)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            logger.warning("database connection lost (%s); trying once more", type(error.orig))
        with self.session() as session:
            return work(session)

    def in_driver_transaction(
        self, work: Callable[[Any], T], *, single_statement: bool = False
    ) -> T:
        """``work(cursor)`` with a DB-API cursor of a pooled connection, in one transaction:
        committed when it returns, rolled back when it raises; once more on a fresh connection
        if the first turned out dead (as ``in_transaction``, and with the same rule: ``work``
        must be idempotent for a commit that may have happened).

        ``single_statement`` (PostgreSQL): each statement ``work`` runs is atomic by itself
        and needs no transaction around it, so none is opened (psycopg's autocommit): that
        saves the BEGIN and COMMIT round trips.

        For the hottest path only (``/idea``, ``models/capture.py``): no ORM session, no
        statement objects; everything else uses ``session``.
        """
        try:
            return self._on_driver_connection(work, single_statement)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            logger.warning("database connection lost (%s); trying once more", type(error.orig))
        return self._on_driver_connection(work, single_statement)

    def _on_driver_connection(self, work: Callable[[Any], T], single_statement: bool) -> T:
        dbapi_error = self.engine.dialect.loaded_dbapi.Error
        with self._one_at_a_time:
            connection = self.engine.raw_connection()
            # Any: DB-API connections have no common type; ``autocommit`` is psycopg's.
            driver: Any = connection.dbapi_connection
            try:
                if single_statement:
                    driver.autocommit = True
                cursor = connection.cursor()
                try:
                    result = work(self._watched(cursor))
                finally:
                    cursor.close()
                connection.commit()
                if single_statement:
                    # The pool hands connections out in SQLAlchemy's own mode.
                    driver.autocommit = False
                return result
            except dbapi_error as error:
                # As SQLAlchemy's own execute path does: a dead connection is invalidated
                # (never handed out again), and the error says so.
                dead = self.engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
                if dead:
                    connection.invalidate(error)
                else:
                    _reset(connection, single_statement)
                raise DBAPIError.instance(
                    None, None, error, dbapi_error, connection_invalidated=dead
                ) from error
            except BaseException:
                _reset(connection, single_statement)
                raise
            finally:
                connection.close()

    def _watched(self, cursor: Any) -> Any:
        """``cursor``, or on SQLite one that takes the file from the other processes before it
        writes (driver statements pass no SQLAlchemy event)."""
        if self._sqlite_lock is None:
            return cursor
        return _WritesTakeTheFile(cursor, self._sqlite_lock)

    def upgrade(self) -> None:
        """Apply every Alembic migration (idempotent)."""
        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def _file_lock_of(engine: Engine) -> _FileLock | None:
    """The lock beside a SQLite file (none for an in-memory database, or without ``fcntl``)."""
    database = engine.url.database
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return _FileLock(Path(f"{database}-lock"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def redacted_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def _refuse_writes(session: Session, _flush_context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a reading session does not write")


def _reset(connection: Any, single_statement: bool) -> None:
    """After a failure: back to how the pool hands connections out (in a transaction that was
    rolled back, autocommit off), or never handed out again."""
    try:
        if single_statement:
            connection.dbapi_connection.autocommit = False
        else:
            connection.rollback()
    except Exception as error:  # noqa: BLE001 - then the pool must not hand it out again
        logger.warning("could not reset a database connection: %s", error)
        connection.invalidate(error)
