"""``collider report programme --from --to --out DIR``: the programme report as charts (PNG)
and one CSV per table, in a chosen language."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from bot.commands.common import CommandFailed, open_database, unwritable
from i18n import t


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="the programme report: charts and CSV tables")
    parser.add_argument("what", choices=("programme",), help="which report")
    parser.add_argument("--from", dest="since", help="first day, YYYY-MM-DD (default: a year ago)")
    parser.add_argument("--to", dest="until", help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
    parser.add_argument("--team", default=None, help="the Slack team id (default: the only one)")
    parser.add_argument("--language", choices=("en", "fi", "sv"), default=None)
    parser.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from handlers.programme_charts import CHARTS, chart, dashboard
    from services.errors import DomainError
    from services.programme_report import build_report, parse_period, report_tables, team_ids

    settings = args.settings
    language = args.language or settings.default_language
    try:
        period = parse_period(args.since, args.until, date.today())
    except DomainError:
        raise CommandFailed(t("cli.report_bad_period", language)) from None
    database = open_database(settings)
    try:
        with database.session() as session:
            teams = [args.team] if args.team else team_ids(session)
            if not teams:
                raise CommandFailed(t("cli.report_no_team", language))
            if len(teams) != 1:
                raise CommandFailed(t("cli.report_which_team", language, teams=", ".join(teams)))
            report = build_report(session, teams[0], period)
    finally:
        database.dispose()
    tables = report_tables(report)
    steps: list[tuple[str, Callable[[], bytes]]] = [
        ("programme", lambda: dashboard(report, language))
    ]
    steps += [(name, partial(chart, name, report, language)) for name in CHARTS]
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, draw in tqdm(steps, desc="charts", unit="chart"):
            (args.out / f"{name}.png").write_bytes(draw())
        for name, rows in tqdm(tables.items(), desc="tables", unit="table"):
            with (args.out / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
                csv.writer(out).writerows(rows)
    except OSError as error:
        raise unwritable(args.out, error, language) from None
    print(
        t("cli.report_written", language, charts=len(steps), tables=len(tables), path=str(args.out))
    )
    return 0
