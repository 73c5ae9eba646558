"""``collider console [--demo]``: try the bot in the terminal against a local Slack."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

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
    parser.add_argument(
        "--log",
        type=Path,
        default=Path("collider-console.log"),
        help="where the bot's log goes, warnings and tracebacks included (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def log_to_file(path: Path) -> Path:
    """Send every log record (and Python warnings) to ``path``, none to the terminal: the
    transcript is the conversation, not the bot's diagnostics. The level stays the one
    ``configure_logging`` set from the settings."""
    path = path.resolve()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    logging.captureWarnings(True)
    return path


def run(args: argparse.Namespace) -> int:
    from bot.local.console import local_console

    log_path = log_to_file(args.log)
    settings = args.settings
    database = open_database(settings)
    try:
        with local_console(
            settings, database, out=sys.stdout, demo_data=args.demo, log_path=str(log_path)
        ) as console:
            console.run(None if sys.stdin.isatty() else sys.stdin)
    finally:
        database.dispose()
    return 0
