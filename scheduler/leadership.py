"""Which process runs the scheduler: exactly one among all instances sharing the database.

APScheduler 3 cannot share a job store between running schedulers (duplicate or missed runs,
per its FAQ), so every instance competes for leadership and only the leader processes jobs.

- PostgreSQL: a session-level advisory lock held on a dedicated connection. The server frees it
  the moment that connection ends, so when the leader dies (process killed, host gone: TCP
  keepalives end the session) a standby's next try succeeds. No clocks are compared.
- SQLite (one host): a lease row in ``scheduler_leases`` that the leader renews; a standby takes
  it over once it expires. A file lock would free faster, but the row also works for processes
  that see the same database file and is tested like the rest of the schema. It works on
  PostgreSQL too, so it is the fallback for other backends.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, delete, or_, select, text, update
from sqlalchemy.pool import NullPool

from models.base import utcnow
from models.db import Database
from models.queries import insert_ignoring_conflict
from models.scheduling import SchedulerLease

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# pg_advisory_lock takes a bigint; this one is ours alone ("collider" in ASCII, as an integer).
ADVISORY_LOCK_KEY = 0x636F6C6C69646572
LEASE_NAME = "scheduler"
DEFAULT_LEASE_SECONDS = 30.0


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_local_holder(holder: str | None) -> bool:
    """True only when ``holder`` (``host:pid``) names a process of this host that is gone: a
    leader killed outright (its supervisor starts a new process at once) need not wait for
    its lease to expire. Any doubt (another host, pid alive or not ours) means alive."""
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


class Leadership(Protocol):
    holder: str

    def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this instance leads now."""
        ...

    def confirm(self) -> bool:
        """Called by the leader every few seconds: still the leader? (Renews a lease.)"""
        ...

    def release(self) -> None:
        """Stop leading, so a standby can take over at once."""
        ...

    def dispose(self) -> None:
        """Release, and close what the leadership opened."""
        ...


class AdvisoryLockLeadership:
    """A PostgreSQL session-level advisory lock on a connection of its own."""

    def __init__(self, url: object, *, key: int = ADVISORY_LOCK_KEY, holder: str | None = None):
        self.holder = holder or default_holder()
        self.key = key
        # NullPool: closing the connection really ends the session (and frees the lock) instead
        # of parking it, lock and all, in a pool. Keepalives notice a vanished peer in ~30 s.
        self._engine: Engine = create_engine(
            url,  # type: ignore[call-overload]
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "application_name": "collider-scheduler",
            },
        )
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            return self.confirm()
        connection = self._engine.connect()
        try:
            acquired = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                ).scalar()
            )
        except Exception:
            connection.close()
            raise
        if acquired:
            self._connection = connection
        else:
            connection.close()
        return acquired

    def confirm(self) -> bool:
        # The lock lives as long as the session: if the connection still answers, we hold it.
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception as error:  # noqa: BLE001 - any failure means the session (and lock) is gone
            logger.warning("lost the scheduler lock connection: %s", error)
            self._close()
            return False

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception as error:  # noqa: BLE001 - closing the session frees it anyway
            logger.debug("advisory unlock failed: %s", error)
        self._close()

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - already broken
                connection.invalidate()

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


class LeaseLeadership:
    """A row in ``scheduler_leases``: taken when free or expired, renewed while leading."""

    def __init__(
        self,
        database: Database,
        *,
        name: str = LEASE_NAME,
        seconds: float = DEFAULT_LEASE_SECONDS,
        holder: str | None = None,
        clock: Clock = utcnow,
    ):
        self.database = database
        self.name = name
        self.ttl = timedelta(seconds=seconds)
        self.holder = holder or default_holder()
        self.clock = clock

    def try_acquire(self) -> bool:
        now = self.clock()
        with self.database.session() as session:
            values = {
                "name": self.name,
                "holder": self.holder,
                "acquired_at": now,
                "expires_at": now + self.ttl,
            }
            if insert_ignoring_conflict(session, SchedulerLease.__table__, values):  # type: ignore[arg-type]
                return True
            free = or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at < now)
            held_by = session.scalar(
                select(SchedulerLease.holder).where(SchedulerLease.name == self.name)
            )
            if is_dead_local_holder(held_by):
                logger.warning("%s lease: its holder %s is gone; taking over", self.name, held_by)
                free = or_(free, SchedulerLease.holder == held_by)
            taken = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, free)
                .values(holder=self.holder, acquired_at=now, expires_at=now + self.ttl)
                .execution_options(synchronize_session=False)
            )
            return taken.rowcount == 1  # type: ignore[attr-defined]

    def confirm(self) -> bool:
        now = self.clock()
        with self.database.session() as session:
            renewed = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=now + self.ttl)
                .execution_options(synchronize_session=False)
            )
            return renewed.rowcount == 1  # type: ignore[attr-defined]

    def release(self) -> None:
        with self.database.session() as session:
            session.execute(
                delete(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .execution_options(synchronize_session=False)
            )

    def dispose(self) -> None:
        self.release()


def leadership_for(
    database: Database, *, holder: str | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> AdvisoryLockLeadership | LeaseLeadership:
    """The advisory lock on PostgreSQL, the lease row elsewhere."""
    if database.engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(database.engine.url, holder=holder)
    return LeaseLeadership(database, holder=holder, seconds=lease_seconds)
