"""``collider db upgrade``: apply the database migrations."""

from __future__ import annotations

import argparse

from bot.commands.common import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="manage the database")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply every migration (safe to repeat)")
    upgrade.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    settings = args.settings
    database = open_database(settings)
    from models.db import redacted_url

    print(f"Database is up to date: {redacted_url(settings.database_url)}")
    database.dispose()
    return 0
