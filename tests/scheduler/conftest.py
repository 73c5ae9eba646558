"""Fixtures for the scheduler: a job context on the test database and a recording poll job."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from models.db import Database
from scheduler import context
from services.delivery import once

# A plain importable job function, referenced by text like the real ones.
RECORD_POLL = f"{__name__}:record_poll"


class PollRecorder:
    """Stands in for the poll sender: every run is recorded, every send is claimed once."""

    def __init__(self) -> None:
        self.runs: list[int] = []
        self._lock = threading.Lock()

    def run(self, poll_id: int) -> None:
        with self._lock:
            self.runs.append(poll_id)
        once(context.current().database, f"poll:{poll_id}", lambda: None, holder="test")

    def wait_for(self, count: int, timeout: float = 3.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.runs) < count:
            time.sleep(0.02)
        return list(self.runs)


_recorder: PollRecorder | None = None


def record_poll(poll_id: int) -> None:
    assert _recorder is not None, "use the polls fixture"
    _recorder.run(poll_id)


@pytest.fixture
def job_context(database: Database) -> Iterator[context.JobContext]:
    installed = context.JobContext(database, holder="test")
    context.install(installed)
    yield installed
    context.clear(installed)


@pytest.fixture
def polls(job_context: context.JobContext) -> Iterator[PollRecorder]:
    global _recorder
    _recorder = PollRecorder()
    yield _recorder
    _recorder = None


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()
