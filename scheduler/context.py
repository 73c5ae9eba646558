"""What job functions need at run time, installed once per process by the scheduler service.

Jobs are pickled into the database as a text reference plus primitive ids, so they cannot carry
a database or a Slack gateway; they look both up here when they run. This is the one
process-wide holder: the entry point composes the ``Outbound`` (database, gateway, views,
settings) and the scheduler service installs it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from models.db import Database
from services.outgoing import Outbound


class SchedulerNotConfigured(RuntimeError):
    """A job ran in a process where no scheduler service installed a context."""


@dataclass(frozen=True)
class JobContext:
    database: Database
    # What jobs that message Slack send with; None in a process that only reads the store.
    outbound: Outbound | None = None
    # Names the process in claims and leases: "host:pid" by default.
    holder: str = ""

    def sender(self) -> Outbound:
        if self.outbound is None:
            raise SchedulerNotConfigured("no Slack gateway was given to the scheduler service")
        return self.outbound.held_by(self.holder)


_lock = threading.Lock()
_current: JobContext | None = None


def install(context: JobContext) -> None:
    global _current
    with _lock:
        _current = context


def clear(context: JobContext | None = None) -> None:
    """Forget the context (only ``context``, when given, so a newer one is left alone)."""
    global _current
    with _lock:
        if context is None or _current is context:
            _current = None


def current() -> JobContext:
    context = _current
    if context is None:
        raise SchedulerNotConfigured("no scheduler context installed in this process")
    return context
