"""``collider export-polls --out FILE.csv``: every poll answer, one row each, safe to open in a
spreadsheet. (A separate subcommand, so it merges beside ``collider export`` of other data.)"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from bot.commands.common import open_database, unwritable
from i18n import t


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export-polls",
        help="write every poll answer to a CSV file",
        description=(
            "One row per answer. Anonymous polls show an opaque respondent key, never a name; "
            "cells that a spreadsheet would run as a formula are prefixed with '."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    parser.add_argument("--team", metavar="TEAM_ID", help="only this workspace")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from services.poll_export import COLUMNS, answer_rows

    settings = args.settings
    language = settings.default_language
    database = open_database(settings)
    rows = 0
    try:
        with args.out.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            with database.session() as session:
                for row in answer_rows(session, args.team, settings.default_language):
                    writer.writerow(row)
                    rows += 1
    except OSError as error:
        raise unwritable(args.out, error, language) from None
    finally:
        database.dispose()
    print(t("cli.export_polls", language, count=rows, path=str(args.out)))
    return 0
