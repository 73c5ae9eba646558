"""Where the CPU of one ``/idea`` ack goes: the WSGI app in this process, under cProfile.

Builds the project's WSGI app (``bot.http.CollideWsgi`` around ``bot.app.create_app``, as a
gunicorn worker does, without the suggestion sweeper) and the floor (``benchmarks.floor_app``),
calls each ``--n`` times with a signed ``/idea`` WSGI environ, one after the other in one
thread, and prints each one's CPU per request (``time.thread_time``) and, with ``--profile``,
the project's top functions by cumulative and by own time. No server and no sockets: what is
left is what our code, Bolt and the database cost per request.

    .venv/bin/python benchmarks/profile_ack.py --backend sqlite --n 2000 --profile
    .venv/bin/python benchmarks/profile_ack.py --backend postgresql --n 2000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.floor_app import ANSWER, floor_app  # noqa: E402
from benchmarks.idea_ack_latency import BOT_TOKEN, DEFAULT_POSTGRES, SIGNING_SECRET  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.http import CollideWsgi  # noqa: E402
from bot.local.slack import LocalSlack  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack_client import make_web_client  # noqa: E402
from bot.suggestions import SuggestionSweeper  # noqa: E402
from models.db import Database  # noqa: E402
from tests.databases import scratch_postgres_database  # noqa: E402
from tests.slack_driver import SlackDriver, sign  # noqa: E402

USERS = 50
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ_of(form: str) -> dict[str, Any]:
    data = form.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
    }
    for name, value in sign(SIGNING_SECRET, form).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call(app: Wsgi, form: str) -> bytes:
    seen: list[str] = []
    body = b"".join(app(environ_of(form), lambda status, headers: seen.append(status)))
    if not seen or not seen[0].startswith("200") or ANSWER.encode() not in body:
        raise SystemExit(f"unexpected answer {seen} {body[:300]!r}")
    return body


def forms(slack: LocalSlack, tag: str, count: int) -> list[str]:
    builder = SlackDriver(None, slack, SIGNING_SECRET)  # type: ignore[arg-type]
    prefix = uuid.uuid4().hex[:8]
    return [
        builder.command_body(
            "/idea",
            f"{prefix} {tag} idea {n}: a shared workshop for repairing bicycles, open evenings",
            user=f"UPROF{n % USERS:03d}",
            trigger_id=f"{prefix}-{tag}-{n}.trigger",
            response_url=slack.response_url(f"{prefix}-{tag}-{n}"),
        )
        for n in range(count)
    ]


def cpu_per_request(app: Wsgi, bodies: list[str], profiler: cProfile.Profile | None) -> float:
    started = time.thread_time()
    if profiler:
        profiler.enable()
    for body in bodies:
        call(app, body)
    if profiler:
        profiler.disable()
    return 1000 * (time.thread_time() - started) / len(bodies)


def run(url: str, args: argparse.Namespace) -> None:
    with LocalSlack(token=BOT_TOKEN) as slack:
        settings = Settings(
            database_url=url,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            log_level="WARNING",
        )
        database = Database(url)
        database.upgrade()
        project = CollideWsgi(create_app(settings, database, verify_token=False), database)
        floor = floor_app(SIGNING_SECRET, BOT_TOKEN, slack.api_url)
        for app, tag in ((project, "warm-p"), (floor, "warm-f")):
            for body in forms(slack, tag, 50):
                call(app, body)
        profiler = new_profiler(args)
        project_ms = cpu_per_request(project, forms(slack, "p", args.n), profiler)
        floor_ms = cpu_per_request(floor, forms(slack, "f", args.n), None)
        print(
            f"{args.backend}: CPU per /idea in process: project {project_ms:.2f} ms, "
            f"floor {floor_ms:.2f} ms ({args.n} each, load average {os.getloadavg()[0]:.1f})"
        )
        print_profile(profiler, args)
        if args.sweep:
            sweep_all(settings, database, slack, args)
        database.dispose()


class InThisThread(Executor):
    """Runs what it is given at once: the sweep's sends are profiled with the rest of it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to the caller in the future
            future.set_exception(error)
        return future


def sweep_all(
    settings: Settings, database: Database, slack: LocalSlack, args: argparse.Namespace
) -> None:
    """The suggestions of every idea sent above, by the sweeper's own sweep: CPU per idea."""
    sweeper = SuggestionSweeper(
        database, make_web_client(settings), default_language="en", leadership=None
    )
    sweeper.senders.shutdown()
    sweeper.senders = InThisThread()
    profiler = new_profiler(args)
    started, taken = time.thread_time(), 0
    if profiler:
        profiler.enable()
    while report := sweeper.sweep():
        if not report.taken:
            break
        taken += report.taken
    if profiler:
        profiler.disable()
    spent = 1000 * (time.thread_time() - started) / max(1, taken)
    print(f"sweep: {taken} ideas, CPU {spent:.2f} ms per idea (sends included, this side only)")
    print_profile(profiler, args)


def new_profiler(args: argparse.Namespace) -> cProfile.Profile | None:
    if not args.profile:
        return None
    # The thread's CPU clock leaves out waiting for PostgreSQL, but costs more per call than
    # the wall clock and so inflates small functions: both views are useful.
    return cProfile.Profile(time.thread_time) if args.cpu_clock else cProfile.Profile()


def print_profile(profiler: cProfile.Profile | None, args: argparse.Namespace) -> None:
    if profiler is None:
        return
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="print the project's profile")
    parser.add_argument("--sweep", action="store_true", help="then sweep their suggestions")
    parser.add_argument("--cpu-clock", action="store_true", help="profile by CPU, not wall time")
    parser.add_argument("--top", type=int, default=45, help="functions per profile table")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="collider-profile-") as scratch:
            run(f"sqlite:///{Path(scratch) / 'profile.sqlite3'}", args)
        return
    with scratch_postgres_database(args.postgres_url, "collider_profile") as url:
        run(url, args)


if __name__ == "__main__":
    main()
