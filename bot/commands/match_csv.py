"""``collider match-csv``: offline matchmaking for facilitators who hold a spreadsheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from i18n import format_number, normalize_language, t

# The engine (numpy, scipy, scikit-learn) is imported when the command runs, not when the CLI
# starts: other subcommands and --help stay fast.

# Below this many bytes of input the run takes about a second: a progress bar would only flicker.
_PROGRESS_FROM_BYTES = 256 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "match-csv",
        help="group people from a CSV file (offline)",
        description="Form think tanks from a CSV with at least the columns id,text.",
    )
    parser.add_argument("input", type=Path, metavar="INPUT.csv")
    parser.add_argument("--out", type=Path, required=True, metavar="GROUPS.csv")
    parser.add_argument("--min-size", type=int, default=3)
    parser.add_argument("--max-size", type=int, default=5)
    parser.add_argument("--diversity-column", metavar="COL", help="e.g. organisation type")
    parser.add_argument("--min-distinct", type=int, default=2, metavar="D")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from matching.csv_match import STAGES, CsvMatchError, CsvMatchOptions, match_csv

    language = normalize_language(args.settings.default_language)
    options = CsvMatchOptions(
        min_size=args.min_size,
        max_size=args.max_size,
        diversity_column=args.diversity_column,
        min_distinct=args.min_distinct,
        seed=args.seed,
    )
    try:
        large = args.input.stat().st_size >= _PROGRESS_FROM_BYTES
    except OSError:
        large = False
    with tqdm(total=len(STAGES), file=sys.stderr, disable=not large, unit="step") as bar:

        def on_stage(name: str) -> None:
            if bar.n or name != STAGES[0]:
                bar.update(1)
            bar.set_description(name)

        try:
            summary = match_csv(args.input, args.out, options, on_stage)
        except CsvMatchError as error:
            bar.close()
            print(f"collider match-csv: {t(error.key, language, **error.params)}", file=sys.stderr)
            return 1
        bar.update(bar.total - bar.n)

    print(
        t(
            "matching.csv_summary",
            language,
            people=summary.people,
            groups=summary.groups,
            cohesion=format_number(summary.cohesion, language, 3),
            random=format_number(summary.random_cohesion, language, 3),
            path=str(args.out),
        )
    )
    if summary.skipped_empty:
        ids = ", ".join(summary.skipped_empty)
        print(t("matching.csv_skipped_empty", language, count=len(summary.skipped_empty), ids=ids))
    for issue in summary.issues:
        ids = ", ".join(issue.participant_ids)
        print(t(f"matching.issue_{issue.code}", language, ids=ids, **issue.params))
    return 0
