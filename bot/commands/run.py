"""``collider run``: connect to Slack in Socket Mode, or serve HTTP with --http."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable

from bot.commands.common import open_database
from bot.server_options import DEFAULT_THREADS, DEFAULT_WORKER_CLASS, WORKER_CLASSES

logger = logging.getLogger(__name__)

# Loopback unless asked otherwise: a public bind is a choice made on purpose (--public or --host).
LOCAL_HOST = "127.0.0.1"
PUBLIC_HOST = "0.0.0.0"  # noqa: S104 - only when --public asks for it


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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.http and args.worker_class == "gevent":
        # Before anything else is imported: modules that bind threading's names at import
        # (APScheduler: ``from threading import Event, Thread``) must see the patched ones,
        # or their threads are real and gevent cannot join them at shutdown.
        from gevent import monkey

        monkey.patch_all()
    settings = args.settings
    settings.require_slack(http=args.http)
    database = open_database(settings)
    from models.db import redacted_url

    logger.info("database ready: %s", redacted_url(settings.database_url))
    from bot.app import create_app
    from bot.scheduling import start_scheduler
    from bot.suggestions import start_suggestion_sweeper

    if not args.http:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

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

    from bot.http import CollideWsgi, GunicornServer
    from bot.server_options import server_options
    from models.db import Database

    # The master only migrates; each worker opens its own pool after the fork.
    database.dispose()

    # What a worker started, stopped when it exits (gunicorn's worker_exit hook runs in the
    # worker while its gevent hub still runs; at atexit, joining a greenlet would fail).
    stoppers: list[Callable[[], None]] = []

    def build() -> CollideWsgi:
        worker_database = Database(settings.database_url)
        # Each worker competes for the scheduler; one leads, the others stand by and take over
        # when it exits, handing leadership over.
        service = start_scheduler(settings, worker_database)
        if service is not None:
            stoppers.append(service.stop)
        # Likewise one sweeper of similar-idea suggestions for the whole deployment.
        stoppers.append(start_suggestion_sweeper(settings, worker_database).stop)
        return CollideWsgi(create_app(settings, worker_database), worker_database)

    options = server_options(
        f"{args.host}:{args.port}",
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        log_level=settings.log_level.lower(),
    )
    options["worker_exit"] = lambda _arbiter, _worker: [stop() for stop in reversed(stoppers)]
    logger.info(
        "serving HTTP on %s:%s (%s %s workers)",
        args.host,
        args.port,
        args.workers,
        args.worker_class,
    )
    GunicornServer(build, options).run()
    return 0
