"""``collider run --http`` as a small supervisor of two processes: the web server and the
background work.

    collider run --http            the supervisor: migrates, then starts and watches
    ├── ... --role web             gunicorn's master, which forks the request workers
    └── ... --role background      the scheduler and the similar-idea sweeper (bot.background)

Why a supervisor above gunicorn rather than a process started by gunicorn's master:

- The master must hold no thread and no database connection when it forks a worker (a forked
  lock or socket is shared by two processes); it forks again whenever a worker dies, so nothing
  may ever run in it beside its own loop. Watching a background child from the master would
  need a thread there, and the master could not watch it anyway: its ``reap_workers`` calls
  ``waitpid(-1)`` and silently reaps every child it does not know, so our child's exit status
  would be taken from us, and no server hook (``when_ready``, ``child_exit``, ``on_exit``)
  is called for it.
- Here each child is a fresh interpreter (fork *and exec*, by ``subprocess``), so it inherits
  no threads, no connections, no gevent patching: only the web child patches itself (for gevent
  workers, before its imports), and the background process runs real threads. The supervisor
  itself runs no thread and opens the database only to migrate, disposing it before it starts
  anything.

The supervisor forwards SIGTERM, SIGINT and SIGQUIT to both children and waits for them
(gunicorn's own graceful shutdown), SIGHUP to gunicorn (reload its workers). If the background
process dies it is started again (at once after a long life, after a growing pause when it
keeps dying at start); its queue and jobs are in the database, so nothing is lost meanwhile.
If gunicorn exits, the background process is stopped and the supervisor exits with gunicorn's
status. On Linux each child also gets SIGTERM if the supervisor itself is killed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# The module the children run (``python -m bot``); a benchmark's wrapper may name itself.
ENTRY_MODULE = "bot"
# A background process that lived this long is started again at once; a shorter life doubles
# the pause before the next start, up to MAX_PAUSE.
STABLE_SECONDS = 10.0
FIRST_PAUSE = 0.5
MAX_PAUSE = 30.0
# After a stop signal, children still running this much later are killed (gunicorn's graceful
# timeout is 10 s; a scheduled job under way may take longer, and every job resumes).
KILL_AFTER_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
PR_SET_PDEATHSIG = 1


def child_command(role: str, cli_args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", ENTRY_MODULE, *cli_args, "--role", role]


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send the child SIGTERM when the supervisor dies (so
    a killed supervisor leaves no server holding the port). Safe here: the supervisor has no
    other thread at the fork."""
    library = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or library is None:
        return None
    libc = ctypes.CDLL(library, use_errno=True)
    parent = os.getpid()

    def ask() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the request took effect
            os._exit(1)

    return ask


@dataclass
class Child:
    role: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, preexec_fn=_die_with_parent())  # noqa: PLW1509 - no threads here
        self.started_at = time.monotonic()
        logger.info("started the %s process (pid %s)", self.role, self.process.pid)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def poll(self) -> int | None:
        """The exit status once the process has ended (reaping it), else None."""
        return None if self.process is None else self.process.poll()

    def signal(self, number: int) -> None:
        if self.process is not None:
            self.process.send_signal(number)  # nothing, once it has been reaped


class Supervisor:
    """Runs ``web`` (gunicorn) and ``background`` until a stop signal or gunicorn's exit."""

    def __init__(self, web: list[str], background: list[str]):
        self.web = Child("web", web)
        self.background = Child("background", background)
        self.pause = FIRST_PAUSE
        self.restart_at: float | None = None
        self.kill_at: float | None = None
        self.stopping = False

    def run(self) -> int:
        reader, writer = os.pipe()
        os.set_blocking(reader, False)
        os.set_blocking(writer, False)
        # The C-level handler writes each signal's number into the pipe, which the loop
        # selects on: no Python work in a handler, no polling, and no signal is missed.
        signal.set_wakeup_fd(writer)
        for caught in (*STOP_SIGNALS, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(caught, lambda *_: None)
        try:
            self.web.start()
            self.background.start()
            while True:
                status = self._step()
                if status is not None:
                    return status
                ready, _, _ = select.select([reader], [], [], self._timeout())
                if ready:
                    for number in os.read(reader, 512):
                        self._on_signal(number)
        finally:
            signal.set_wakeup_fd(-1)
            os.close(reader)
            os.close(writer)

    def _on_signal(self, number: int) -> None:
        if number in STOP_SIGNALS:
            self.stop(number)
        elif number == signal.SIGHUP:
            self.web.signal(signal.SIGHUP)

    def stop(self, number: int = signal.SIGTERM) -> None:
        """Pass a stop signal on: gunicorn gets the same one (SIGTERM graceful, SIGINT/SIGQUIT
        quick), the background process SIGTERM."""
        if not self.stopping:
            logger.info("stopping the web and background processes")
            self.stopping = True
            self.kill_at = time.monotonic() + KILL_AFTER_SECONDS
        self.web.signal(number)
        self.background.signal(signal.SIGTERM)

    def _step(self) -> int | None:
        """React to children that ended; the exit status once everything has stopped."""
        web_status = self.web.poll()
        if web_status is not None and not self.stopping:
            logger.error("the web server exited (status %s); stopping", web_status)
            self.stop()
        background_status = self.background.poll()
        if background_status is not None and not self.stopping and self.restart_at is None:
            self._plan_restart(background_status)
        now = time.monotonic()
        if self.restart_at is not None and now >= self.restart_at and not self.stopping:
            self.restart_at = None
            self.background.start()
        if self.stopping and self.kill_at is not None and now >= self.kill_at:
            logger.warning(
                "children still running %s s after the stop: killing them", KILL_AFTER_SECONDS
            )
            self.web.signal(signal.SIGKILL)
            self.background.signal(signal.SIGKILL)
            self.kill_at = None
        if self.stopping and not self.web.running and not self.background.running:
            return web_status or 0
        return None

    def _plan_restart(self, status: int) -> None:
        lived = time.monotonic() - self.background.started_at
        self.pause = (
            0.0 if lived >= STABLE_SECONDS else max(FIRST_PAUSE, min(MAX_PAUSE, 2 * self.pause))
        )
        logger.warning(
            "the background process exited (status %s) after %.0f s; starting it again in %.1f s",
            status,
            lived,
            self.pause,
        )
        self.restart_at = time.monotonic() + self.pause

    def _timeout(self) -> float | None:
        """Until the next planned restart or kill; None: until a signal (SIGCHLD included)."""
        due = [at for at in (self.restart_at, self.kill_at) if at is not None]
        return max(0.0, min(due) - time.monotonic()) if due else None
