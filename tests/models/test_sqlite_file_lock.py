"""The processes of one machine take a SQLite file one at a time through a lock file beside it
(``models.db._FileLock``), instead of meeting in SQLite's busy handler; and a gevent worker that
waits for it keeps serving its other requests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Participant
from models.db import Database

TIMEOUT = 60

# Another process, holding the lock file as a session of ours does: it says "held", then lets
# go at a line on stdin (or after 20 s, so that a broken lock fails the test instead of hanging).
HOLDER = textwrap.dedent(
    """
    import fcntl, os, select, sys
    descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    print("held", flush=True)
    select.select([sys.stdin], [], [], 20)
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    """
)

# Another process trying the lock file once, without waiting: prints "free" or "taken".
PROBE = textwrap.dedent(
    """
    import fcntl, os, sys
    descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("taken")
    else:
        print("free")
    """
)

# A gevent worker's view: one greenlet writes in a session while another process holds the file;
# another greenlet counts. It says whether the session opened before the count reached 50
# (it must not: the file is held), then, once the holder lets go, that the session opened.
GEVENT_WORKER = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import sys, gevent
    from models import Participant
    from models.db import Database

    database = Database(sys.argv[1])
    ticks, opened = [], []

    def open_session():
        with database.session() as session:
            session.add(Participant(team_id="T1", user_id="UGEVENT"))
            session.flush()
            opened.append(len(ticks))

    def count():
        while len(ticks) < 50 and not opened:
            ticks.append(1)
            gevent.sleep(0.001)

    waiter = gevent.spawn(open_session)
    gevent.spawn(count).join()
    print("opened" if opened else "waiting", len(ticks), flush=True)
    waiter.join(timeout=30)
    print("opened" if opened else "never opened", flush=True)
    """
)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'collider.sqlite3'}")
    database.upgrade()
    return database


def lock_file(database: Database) -> Path:
    return Path(f"{database.engine.url.database}-lock")


def probe(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    return done.stdout.strip()


def test_a_session_holds_the_file_from_its_first_write(sqlite_database: Database) -> None:
    path = lock_file(sqlite_database)
    with sqlite_database.session() as session:
        session.scalars(select(Participant)).all()
        assert probe(path) == "free"  # reading: other processes go on reading and writing
        session.add(Participant(team_id="T1", user_id="U1"))
        session.flush()
        with sqlite_database.session():  # a nested session keeps it, and gives it back once
            assert probe(path) == "taken"
        assert probe(path) == "taken"
    assert probe(path) == "free"


def test_a_driver_transaction_holds_the_file_while_it_writes(sqlite_database: Database) -> None:
    path = lock_file(sqlite_database)
    seen: list[str] = []

    def work(cursor: Any) -> None:
        cursor.execute("SELECT count(*) FROM participants")
        seen.append(probe(path))
        cursor.execute(
            "INSERT INTO participants (team_id, user_id, opt_in, is_offline, created_at,"
            " updated_at) VALUES ('T1', 'U2', 1, 0, '2026-01-01', '2026-01-01')"
        )
        seen.append(probe(path))

    sqlite_database.in_driver_transaction(work)
    assert seen == ["free", "taken"]
    assert probe(path) == "free"


def test_a_gevent_worker_goes_on_while_it_waits_for_the_file(sqlite_database: Database) -> None:
    path = lock_file(sqlite_database)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = None
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        worker = subprocess.Popen(
            [sys.executable, "-c", GEVENT_WORKER, str(sqlite_database.engine.url)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert worker.stdout is not None
        # Its other greenlet counted to 50 while the session waited for the file.
        assert worker.stdout.readline().split() == ["waiting", "50"]
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert worker.stdout.readline().strip() == "opened"
    finally:
        for process in (holder, worker):
            if process is not None:
                process.kill()
                process.wait(TIMEOUT)
