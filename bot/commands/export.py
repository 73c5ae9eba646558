"""``collider export ideas|rounds|thinktanks|experiments --out FILE.csv``: CSV safe to open in a spreadsheet."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from bot.commands.common import open_database, unwritable
from i18n import t

# What was exported, and the summary saying how many (each noun has its own plural forms).
SUMMARIES = {
    "ideas": "cli.export_ideas",
    "rounds": "cli.export_rounds",
    "thinktanks": "cli.export_thinktanks",
    "experiments": "cli.export_experiments",
}
EXPORTS = tuple(SUMMARIES)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export ideas, rounds or think tanks as CSV")
    parser.add_argument("what", choices=EXPORTS, help="what to export")
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    parser.add_argument("--team", help="only this workspace (default: every workspace)")
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from services.experiments import experiment_rows
    from services.importing import idea_rows
    from services.round_exports import round_rows, think_tank_rows

    rows = {
        "ideas": idea_rows,
        "rounds": round_rows,
        "thinktanks": think_tank_rows,
        "experiments": experiment_rows,
    }[args.what]
    language = args.settings.default_language
    database = open_database(args.settings)
    count = -1  # the header row
    try:
        with database.session() as session, args.out.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            for row in rows(session, args.team):
                writer.writerow(row)
                count += 1
    except OSError as error:
        raise unwritable(args.out, error, language) from None
    finally:
        database.dispose()
    print(t(SUMMARIES[args.what], language, count=count, path=str(args.out)))
    return 0
