"""The ``collider`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.commands import (
    console,
    db,
    doctor,
    export,
    export_polls,
    import_ideas,
    match_csv,
    report,
    run,
    scheduler,
)
from bot.commands.common import CommandFailed, settings_or_exit
from bot.logs import configure_logging
from bot.settings import SettingsError

COMMANDS = (
    run,
    console,
    doctor,
    db,
    scheduler,
    match_csv,
    import_ideas,
    export,
    export_polls,
    report,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collider",
        description="Idea Collider: co-creation think tanks in Slack.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        # Settings are loaded once, here, and every command takes them from args.settings.
        args.settings = settings_or_exit()
        configure_logging(args.settings, verbose=args.verbose)
        return int(args.handler(args))
    except (CommandFailed, SettingsError) as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
