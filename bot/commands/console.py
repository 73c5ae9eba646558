"""``collider console [--demo]``: try the bot in the terminal against a local Slack."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.commands.common import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "console",
        help="try the bot in the terminal (no Slack needed)",
        description="Act as workspace members, type slash commands, press buttons and fill "
        "forms; the real app and database (DATABASE_URL) answer through a local Slack.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="add a small fictional workspace: 12 people, 20 ideas and needs (fi, sv, en)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.local.console import local_console

    if not args.verbose:
        # The bot's own log lines would interleave with the conversation; warnings still show.
        root = logging.getLogger()
        root.setLevel(max(root.level, logging.WARNING))
    settings = args.settings
    database = open_database(settings)
    try:
        with local_console(settings, database, out=sys.stdout, demo_data=args.demo) as console:
            console.run(None if sys.stdin.isatty() else sys.stdin)
    finally:
        database.dispose()
    return 0
