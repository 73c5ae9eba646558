"""``collider run``: connect to Slack in Socket Mode, or serve HTTP with --http."""

from __future__ import annotations

import argparse
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands.common import open_database
from bot.server_options import DEFAULT_THREADS, DEFAULT_WORKER_CLASS, WORKER_CLASSES

if TYPE_CHECKING:
    from bot.settings import Settings
    from models.db import Database

logger = logging.getLogger(__name__)

# Loopback unless asked otherwise: a public bind is a choice made on purpose (--public or --host).
LOCAL_HOST = "127.0.0.1"
PUBLIC_HOST = "0.0.0.0"  # noqa: S104 - only when --public asks for it
# The two processes ``collider run --http`` supervises.
WEB, BACKGROUND = "web", "background"
ROLES = (WEB, BACKGROUND)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the bot against a real Slack workspace")
    parser.add_argument(
        "--http", action="store_true", help="serve HTTP (POST /slack/events) instead of Socket Mode"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--host",
        default=LOCAL_HOST,
        help=f"address to listen on with --http (default {LOCAL_HOST}: this machine only, "
        "for a reverse proxy in front)",
    )
    where.add_argument(
        "--public",
        action="store_const",
        const=PUBLIC_HOST,
        dest="host",
        help=f"listen on every interface ({PUBLIC_HOST}) with --http: reachable from outside",
    )
    parser.add_argument(
        "--port", type=int, default=3000, help="port to listen on with --http (default 3000)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="worker processes with --http (default: CPU count)",
    )
    parser.add_argument(
        "--worker-class",
        choices=WORKER_CLASSES,
        default=DEFAULT_WORKER_CLASS,
        help=f"gunicorn worker class with --http (default {DEFAULT_WORKER_CLASS}: slow clients "
        "cannot starve it; gthread needs a buffering proxy in front)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"threads per gthread worker with --http (default {DEFAULT_THREADS})",
    )
    # Set by the supervisor on the processes it starts (bot/supervisor.py); not for people.
    parser.add_argument("--role", choices=ROLES, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.http and args.role == WEB:
        return serve_http(args)
    settings = args.settings
    settings.require_slack(http=args.http)
    if args.role == BACKGROUND:
        from bot.background import run_background

        # The supervisor migrated the database before it started this process.
        database = open_database(settings, upgrade=False)
        return run_background(settings, database, scheduler=settings.scheduler, parent=os.getppid())
    database = open_database(settings)
    from models.db import redacted_url

    logger.info("database ready: %s", redacted_url(settings.database_url))
    warn_of_answer_key_changes(settings, database)
    if args.http:
        return supervise(args, database)
    return run_socket_mode(settings, database)


def warn_of_answer_key_changes(settings: Settings, database: Database | None = None) -> None:
    """Once at start: answers stored under a changed key nobody declared (what ``collider
    doctor`` reports) are lost to forget-me until the old key is declared."""
    from bot.commands.doctor import check_answer_key_changes

    finding = check_answer_key_changes(settings, database)
    if not finding.ok:
        logger.warning("%s; fix: %s", finding.detail, finding.fix)


def run_socket_mode(settings: Settings, database: Database) -> int:
    """One process runs everything: the listeners, the scheduler, the sweeper."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app
    from bot.scheduling import start_scheduler
    from bot.suggestions import start_suggestion_sweeper

    app = create_app(settings, database)
    # Every instance starts one; only the elected instance runs jobs.
    service = start_scheduler(settings, database)
    sweeper = start_suggestion_sweeper(settings, database)
    logger.info("connecting to Slack in Socket Mode")
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        sweeper.stop()
        if service is not None:
            service.stop()
    return 0


def supervise(args: argparse.Namespace, database: Database) -> int:
    """Start gunicorn and the background process, and watch them (bot/supervisor.py)."""
    from bot.supervisor import Supervisor, child_command

    # Migrated; the supervisor keeps no connection while it starts its children.
    database.dispose()
    cli = ["-v"] if args.verbose else []
    cli += ["run", "--http", "--host", args.host, "--port", str(args.port)]
    cli += ["--workers", str(args.workers), "--worker-class", args.worker_class]
    cli += ["--threads", str(args.threads)]
    return Supervisor(child_command(WEB, cli), child_command(BACKGROUND, cli)).run()


def serve_http(args: argparse.Namespace) -> int:
    """gunicorn's master (started by the supervisor): its workers only serve requests."""
    if args.worker_class == "gevent":
        # Before anything else is imported: the workers' sockets, locks and the Web API
        # client must be gevent's, or one blocking call would hold up a worker's every
        # request. Only this process patches; the background process runs real threads.
        from gevent import monkey

        monkey.patch_all()
    settings = args.settings
    settings.require_slack(http=True)
    from bot.http import CollideWsgi, GunicornServer
    from bot.server_options import server_options
    from models.db import Database

    def build() -> CollideWsgi:
        # After the fork, in each worker: its own pool (the master opens none), and the app's
        # imports, which the master must not make: numpy's OpenBLAS starts a thread pool when
        # it is imported, and the master forks again whenever a worker dies.
        from bot.app import create_app

        worker_database = Database(settings.database_url)
        return CollideWsgi(create_app(settings, worker_database), worker_database)

    options = server_options(
        f"{args.host}:{args.port}",
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        log_level=settings.log_level.lower(),
    )
    options["pre_fork"] = check_single_threaded
    logger.info(
        "serving HTTP on %s:%s (%s %s workers)",
        args.host,
        args.port,
        args.workers,
        args.worker_class,
    )
    GunicornServer(build, options).run()
    return 0


def check_single_threaded(_arbiter: object, _worker: object) -> None:
    """gunicorn's ``pre_fork`` hook: a thread running in the master at a fork would leave the
    worker with whatever lock or socket it held. By design there is none (nothing but
    gunicorn runs in the master); this says so in the debug log, and loudly if it changes."""
    tasks = Path("/proc/self/task")
    count = len(list(tasks.iterdir())) if tasks.exists() else threading.active_count()
    if count == 1:
        logger.debug("the master forks a worker with 1 thread")
    else:
        logger.error("the master forks a worker with %s threads: it should have 1", count)
