from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta

from sqlalchemy import text

from models.base import utcnow
from models.db import Database
from scheduler.leadership import AdvisoryLockLeadership, LeaseLeadership, leadership_for


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def test_one_leader_at_a_time_and_release_hands_over(database: Database) -> None:
    first = leadership_for(database, holder="first")
    second = leadership_for(database, holder="second")
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.confirm()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.dispose()
        second.dispose()


def test_a_standby_takes_over_when_the_leader_dies(database: Database) -> None:
    if database.engine.dialect.name == "postgresql":
        leader = leadership_for(database, holder="leader")
        standby = leadership_for(database, holder="standby")
        assert isinstance(leader, AdvisoryLockLeadership)
        try:
            assert leader.try_acquire() and not standby.try_acquire()
            # The leader's session ends as it would when its process dies.
            with database.engine.connect() as admin:
                admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'collider-scheduler' "
                        "AND datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                admin.commit()
            assert standby.try_acquire()
            assert not leader.confirm()
        finally:
            leader.dispose()
            standby.dispose()
    else:
        clock = Clock()
        leader = LeaseLeadership(database, holder="leader", seconds=30, clock=clock)
        standby = LeaseLeadership(database, holder="standby", seconds=30, clock=clock)
        assert leader.try_acquire() and not standby.try_acquire()
        clock.now += timedelta(seconds=20)
        assert leader.confirm()  # renewed until now + 30 s
        clock.now += timedelta(seconds=20)
        assert not standby.try_acquire()
        # The leader dies: no more renewals, and the lease runs out.
        clock.now += timedelta(seconds=31)
        assert standby.try_acquire()
        assert not leader.confirm()


def test_the_lease_works_on_every_backend(database: Database) -> None:
    clock = Clock()
    leader = LeaseLeadership(database, name="other", holder="leader", seconds=5, clock=clock)
    standby = LeaseLeadership(database, name="other", holder="standby", seconds=5, clock=clock)
    assert leader.try_acquire() and not standby.try_acquire()
    clock.now += timedelta(seconds=6)
    assert standby.try_acquire()
    assert not leader.confirm() and not leader.try_acquire()
    standby.release()
    assert leader.try_acquire()


def test_a_lease_held_by_a_dead_process_of_this_host_is_taken_at_once(database: Database) -> None:
    # As when the background process is killed and its supervisor starts another at once.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    here = socket.gethostname()
    dead = LeaseLeadership(database, name="crash", holder=f"{here}:{gone.pid}", seconds=30)
    alive = LeaseLeadership(database, name="crash", holder=f"{here}:{os.getppid()}", seconds=30)
    elsewhere = LeaseLeadership(database, name="far", holder=f"other-{here}:{gone.pid}")
    successor = LeaseLeadership(database, name="crash", seconds=30)
    assert dead.try_acquire()
    assert successor.try_acquire()  # the lease had 30 s left
    assert not dead.confirm()
    # A living holder, or one on another host (its pid means nothing here), keeps its lease.
    successor.release()
    assert alive.try_acquire() and not successor.try_acquire()
    assert elsewhere.try_acquire()
    assert not LeaseLeadership(database, name="far").try_acquire()
