"""``collider match-csv``: offline matchmaking for facilitators who hold a spreadsheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from i18n import format_number, normalize_language, t

# The engine (numpy, scipy, sparse-dot-topn) is imported when the command runs, not when the CLI
# starts: other subcommands and --help stay fast.

# Below this many bytes of input the run takes about a second: a progress bar would only flicker.
_PROGRESS_FROM_BYTES = 256 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "match-csv",
        help="group people from a CSV file (offline)",
        description=(
            "Form think tanks from a CSV with at least the columns id,text (one row per person). "
            "The output has id,group first, then the text (and diversity value) as read, "
            "tie_terms and tie_score (what ties the person to the group), group_size, "
            "group_cohesion and group_terms (the terms the group shares)."
        ),
    )
    parser.add_argument(
        "input",
        type=Path,
        metavar="INPUT.csv",
        help="the people: UTF-8 CSV (comma, semicolon or tab) with the columns id and text",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="GROUPS.csv",
        help="where to write the groups; required, and never the input file itself",
    )
    parser.add_argument(
        "--min-size", type=int, default=3, help="the smallest group size (default: %(default)s)"
    )
    parser.add_argument(
        "--max-size", type=int, default=5, help="the largest group size (default: %(default)s)"
    )
    parser.add_argument(
        "--diversity-column",
        metavar="COL",
        help=(
            "a column whose values each group should mix, e.g. organisation type "
            "(default: none, groups are formed by topic alone)"
        ),
    )
    parser.add_argument(
        "--min-distinct",
        type=int,
        metavar="D",
        help=(
            "how many distinct values of --diversity-column each group needs; only with "
            "--diversity-column (default: 2 when that column is given)"
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed: the same input and seed give the same groups (default: %(default)s)",
    )
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
