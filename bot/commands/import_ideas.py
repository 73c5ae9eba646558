"""``collider import ideas FILE.csv``: bring ideas in from Decidim, a Forms sheet or plain CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from bot.commands.common import CommandFailed, open_database
from i18n import t

if TYPE_CHECKING:
    from bot.settings import Settings
    from models.db import Database
    from services.importing import ImportReport

# Kept in step with models.IdeaKind (a test checks), so the CLI starts without the database stack.
KINDS = ("idea", "need")
COLUMN_OPTIONS = ("text", "title", "author", "theme", "date", "email")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import ideas from a CSV file")
    what = parser.add_subparsers(dest="import_what", metavar="WHAT", required=True)
    ideas = what.add_parser(
        "ideas",
        help="ideas from CSV: a Decidim proposals export, a Forms sheet, or any CSV",
        description="Encodings (UTF-8, UTF-16, Windows-1252, Latin-1, MacRoman) and separators (, ; tab) "
        "are detected; Decidim's JSON export is read as its CSV export. Authors are imported "
        "as people who are not in Slack.",
    )
    ideas.add_argument("file", type=Path, help="the CSV file")
    ideas.add_argument("--kind", choices=KINDS, default="idea", help="default: idea")
    ideas.add_argument("--theme", help="theme label for every row (default: the row's own)")
    for role in COLUMN_OPTIONS:
        ideas.add_argument(
            f"--{role}-column", metavar="NAME", help=f"the column holding the {role} (any case)"
        )
    ideas.add_argument(
        "--team", help="workspace id (default: the one the bot is installed in, by auth.test)"
    )
    ideas.add_argument(
        "--timezone",
        type=_zone_name,
        help="zone of times written without one (default: COLLIDER_TIME_ZONE, Europe/Helsinki)",
    )
    ideas.add_argument(
        "--dry-run", action="store_true", help="show what would happen, write nothing"
    )
    ideas.set_defaults(handler=run_import)


def _zone_name(name: str) -> str:
    """``--timezone`` as given, if it names a zone; the deployment's own is checked with the
    settings."""
    from services.local_time import zone_named

    if zone_named(name) is None:
        raise argparse.ArgumentTypeError(f"not a time zone name such as Europe/Helsinki: {name!r}")
    return name


def workspace(settings: Settings, team: str | None) -> str:
    """``--team``, else the workspace of the configured bot token (Slack's ``auth.test``)."""
    if team:
        return team
    language = settings.default_language
    if not settings.slack_bot_token:
        raise CommandFailed(
            t("importing.nothing_imported", language, reason=t("importing.no_team", language))
        )
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack_client import make_web_client

    try:
        team_id = make_web_client(settings).auth_test().get("team_id")
    except (SlackApiError, SlackClientError, OSError) as error:
        reason = t("importing.slack_failed", language, error=type(error).__name__)
        raise CommandFailed(t("importing.nothing_imported", language, reason=reason)) from None
    if not team_id:
        reason = t("importing.slack_failed", language, error="no team_id")
        raise CommandFailed(t("importing.nothing_imported", language, reason=reason))
    return str(team_id)


def run_import(args: argparse.Namespace) -> int:
    from models import IdeaKind
    from services.importing import ImportFileError, ImportOptions, import_rows, open_import

    settings = args.settings
    language = settings.default_language
    options = ImportOptions(
        team_id=workspace(settings, args.team),
        kind=IdeaKind(args.kind),
        theme=args.theme,
        language=language,
        time_zone=args.timezone or settings.time_zone,
        **{f"{role}_column": getattr(args, f"{role}_column") for role in COLUMN_OPTIONS},
    )
    try:
        source = open_import(args.file, options)
    except ImportFileError as error:
        reason = t(error.key, language, **error.params)
        raise CommandFailed(t("importing.nothing_imported", language, reason=reason)) from None
    database = open_database(settings)
    try:
        with database.session() as session:
            report = import_rows(
                session,
                source,
                options,
                dry_run=args.dry_run,
                progress=lambda rows: tqdm(
                    rows, total=len(source.table.rows), unit="row", file=sys.stderr
                ),
            )
        print_report(args.file, report, options.team_id, language)
        if not args.dry_run and settings.slack_bot_token:
            offer_claims(settings, database, options.team_id)
    finally:
        database.dispose()
    return 0


def _rows(numbers: list[int]) -> str:
    return ", ".join(str(number) for number in numbers)


def print_report(path: Path, report: ImportReport, team: str, language: str) -> None:
    print(
        t(
            "importing.summary",
            language,
            file=str(path),
            rows=report.rows,
            encoding=report.encoding,
            layout=report.layout,
        )
    )
    if report.dry_run:
        print(t("importing.dry_run", language))
    columns = "; ".join(f"{role} = {names}" for role, names in report.columns.items())
    print(t("importing.columns", language, columns=columns))
    for column, order in report.date_orders.items():
        read = t(f"importing.{'day_first' if order.day_first else 'month_first'}", language)
        key = "date_order_language" if order.by_language else "date_order_cells"
        print(t(f"importing.{key}", language, column=column, order=read, language=language))
    print(t("importing.team", language, team=team))
    for key, numbers in (
        ("imported", report.imported),
        ("already_imported", report.already_imported),
        ("empty", report.empty),
        ("undated", report.undated),
    ):
        if numbers or key == "imported":
            print(t(f"importing.{key}", language, count=len(numbers), rows=_rows(numbers) or "-"))


def offer_claims(settings: Settings, database: Database, team_id: str) -> None:
    """Offer imported ideas to Slack members with the same e-mail (``users.lookupByEmail``),
    through the one delivery mechanism: an offer already made is not made again."""
    from bot.scheduling import outbound
    from services import claims

    offered = claims.offer_by_email(outbound(settings, database), team_id)
    if offered:
        print(t("importing.claims_offered", settings.default_language, count=offered))
