"""``collider run``: connect to Slack in Socket Mode, or serve HTTP with --http."""

from __future__ import annotations

import argparse
import atexit
import logging
import os

from bot.commands.common import open_database

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the bot against a real Slack workspace")
    parser.add_argument(
        "--http", action="store_true", help="serve HTTP (POST /slack/events) instead of Socket Mode"
    )
    parser.add_argument(
        "--host", default="0.0.0.0", help="address to listen on with --http (default 0.0.0.0)"
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
        "--threads", type=int, default=8, help="threads per worker with --http (default 8)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = args.settings
    settings.require_slack(http=args.http)
    database = open_database(settings)
    from models.db import redacted_url

    logger.info("database ready: %s", redacted_url(settings.database_url))
    from bot.app import create_app
    from bot.scheduling import start_scheduler

    if not args.http:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app = create_app(settings, database)
        # Every instance starts one; only the elected instance runs jobs.
        service = start_scheduler(settings, database)
        logger.info("connecting to Slack in Socket Mode")
        try:
            SocketModeHandler(app, settings.slack_app_token).start()
        finally:
            if service is not None:
                service.stop()
        return 0

    from bot.http import CollideWsgi, GunicornServer
    from models.db import Database

    # The master only migrates; each worker opens its own pool after the fork.
    database.dispose()

    def build() -> CollideWsgi:
        worker_database = Database(settings.database_url)
        # Each worker competes for the scheduler; one leads, the others stand by and take over
        # when it exits. atexit hands leadership over when gunicorn stops the worker.
        service = start_scheduler(settings, worker_database)
        if service is not None:
            atexit.register(service.stop)
        return CollideWsgi(create_app(settings, worker_database), worker_database)

    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": args.threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
    }
    logger.info("serving HTTP on %s:%s (%s workers)", args.host, args.port, args.workers)
    GunicornServer(build, options).run()
    return 0
