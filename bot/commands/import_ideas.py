"""``collider import ideas FILE.csv``: bring ideas in from an idea box or a Decidim export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from bot.commands.common import CommandFailed, open_database

# Kept in step with models.IdeaKind and services.importing.IMPORT_TEAM (a test checks), so the
# CLI starts without importing the database stack.
KINDS = ("idea", "need")
IMPORT_TEAM = "T0IMPORT"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import ideas from a CSV file")
    what = parser.add_subparsers(dest="import_what", metavar="WHAT", required=True)
    ideas = what.add_parser(
        "ideas",
        help="ideas from CSV: a 'text' column, or 'title'/'body' (Decidim exports work as is)",
    )
    ideas.add_argument("file", type=Path, help="the CSV file (UTF-8; comma, semicolon or tab)")
    ideas.add_argument("--kind", choices=KINDS, default="idea", help="default: idea")
    ideas.add_argument("--theme", help="theme label for every row (default: the row's category)")
    ideas.add_argument(
        "--author-column", help="column naming the author (default: author or author_name)"
    )
    ideas.add_argument(
        "--team", default=IMPORT_TEAM, help=f"team id of imported authors (default {IMPORT_TEAM})"
    )
    ideas.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from models import IdeaKind
    from services.importing import ImportFileError, ImportOptions, import_rows, read_rows

    try:
        rows = read_rows(args.file)
    except ImportFileError as error:
        raise CommandFailed(f"Nothing imported: {error}") from None
    options = ImportOptions(
        kind=IdeaKind(args.kind),
        theme=args.theme,
        author_column=args.author_column,
        team_id=args.team,
    )
    database = open_database(args.settings)
    try:
        with database.session() as session:
            report = import_rows(
                session,
                rows,
                options,
                progress=lambda items: tqdm(items, total=len(rows), unit="row", file=sys.stderr),
            )
    finally:
        database.dispose()
    print(f"Imported {report.imported} of {len(rows)} rows from {args.file}.")
    if report.skipped:
        print(f"Skipped {len(report.skipped)} rows:")
        for skipped in report.skipped:
            print(f"  row {skipped.row}: {skipped.reason}")
    return 0
