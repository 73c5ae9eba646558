"""Fixtures for the scheduler: a job context on the test database and a recording poll handler."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from models.db import Database
from scheduler import context, jobs
from scheduler.outbox import send_once


class PollRecorder:
    """Stands in for the poll sender: every run is recorded, every send goes through the outbox."""

    def __init__(self) -> None:
        self.runs: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, job_context: context.JobContext, poll_id: int) -> None:
        with self._lock:
            self.runs.append(poll_id)
        send_once(job_context.database, f"poll:{poll_id}", lambda: "ts-1", holder="test")

    def wait_for(self, count: int, timeout: float = 3.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.runs) < count:
            time.sleep(0.02)
        return list(self.runs)


@pytest.fixture
def job_context(database: Database) -> Iterator[context.JobContext]:
    installed = context.JobContext(database, holder="test")
    context.install(installed)
    yield installed
    context.clear(installed)


@pytest.fixture
def polls(job_context: context.JobContext) -> Iterator[PollRecorder]:
    recorder = PollRecorder()
    jobs.register_job_handler(jobs.SEND_POLL, recorder)
    yield recorder
    jobs.unregister_job_handler(jobs.SEND_POLL)


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()
