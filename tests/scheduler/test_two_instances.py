"""Two scheduler processes on one database: one runs the jobs, the other takes over on a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from models.db import Database
from models.scheduling import ScheduledSend
from tests.scheduler.conftest import eventually

ROOT = Path(__file__).resolve().parents[2]


def spawn(url: str, name: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scheduler.instance", url, name],
        cwd=ROOT,
        env={**os.environ, "COLLIDER_TICK_LOG": str(log)},
        stdout=subprocess.PIPE,
        text=True,
    )


def ticks(log: Path) -> list[tuple[str, int, str]]:
    if not log.exists():
        return []
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    return [(holder, int(slot), outcome) for holder, slot, outcome in lines]


def test_each_tick_runs_exactly_once_and_the_standby_takes_over(
    database: Database, tmp_path: Path
) -> None:
    log = tmp_path / "ticks.log"
    processes = {name: spawn(database.url, name, log) for name in ("a", "b")}
    try:
        assert eventually(lambda: len(ticks(log)) >= 2, timeout=15)
        leaders = {holder for holder, _, _ in ticks(log)}
        assert len(leaders) == 1
        leader = leaders.pop()
        standby = "b" if leader == "a" else "a"

        processes[leader].send_signal(signal.SIGKILL)  # a crash: nothing is released
        processes[leader].wait(5)
        before = len(ticks(log))
        assert eventually(
            lambda: sum(holder == standby for holder, _, _ in ticks(log)) >= 3, timeout=10
        )
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            process.wait(10)

    runs = ticks(log)
    slots = [slot for _, slot, _ in runs]
    assert [slot for slot, count in Counter(slots).items() if count > 1] == []
    assert {outcome for _, _, outcome in runs} == {"sent"}
    # The crashed leader ran the first ticks, the standby every one after.
    assert {holder for holder, _, _ in runs[:before]} == {leader}
    assert {holder for holder, _, _ in runs[before:]} == {standby}
    assert slots == sorted(slots)
    # After taking over, no tick is skipped: the runs missed during the hand-over were coalesced
    # into the first, and the rest follow one per tick.
    taken_over = slots[before:]
    assert taken_over == list(range(taken_over[0], taken_over[0] + len(taken_over)))
    with database.session() as session:
        recorded = session.scalar(select(func.count()).select_from(ScheduledSend))
    assert recorded == len(runs)
