"""``collider export ideas --out FILE.csv``: ideas as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from bot.commands.common import CommandFailed, open_database, settings_or_exit
from services.importing import idea_rows

NOT_YET = ("rounds", "thinktanks")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("export", help="export ideas as CSV")
    parser.add_argument("what", choices=("ideas", *NOT_YET), help="what to export")
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    if args.what in NOT_YET:
        raise CommandFailed(
            f"Exporting {args.what} is not available yet: Idea Collider does not store them yet."
        )
    database = open_database(settings_or_exit())
    count = -1  # the header row
    try:
        with database.session() as session, args.out.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            for row in idea_rows(session):
                writer.writerow(row)
                count += 1
    except OSError as error:
        raise CommandFailed(f"Could not write {args.out}: {error}") from None
    finally:
        database.dispose()
    print(f"Exported {count} ideas to {args.out}.")
    return 0
