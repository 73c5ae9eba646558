"""Offline matchmaking from a spreadsheet: read people from CSV, form groups, write them back.

Pure: no printing and no argument parsing (that is ``bot/commands/match_csv.py``). Problems
with the input raise ``CsvMatchError`` carrying an i18n key and its parameters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matching import csv_text
from matching.grouping import form_groups
from matching.model import Contribution, GroupingOptions, GroupingResult, Issue, Participant

ID_COLUMN = "id"
TEXT_COLUMN = "text"
# After id and group: the person's text and diversity value as read, what ties them to the
# group, then the group's own figures. The diversity column keeps its input name.
TIE_COLUMNS = ("tie_terms", "tie_score")
GROUP_COLUMNS = ("group_size", "group_cohesion", "group_terms")
DEFAULT_MIN_DISTINCT = 2
_SNIFF_BYTES = 64 * 1024


class CsvMatchError(Exception):
    """A problem with the input or the options, as an i18n key (``matching.<key>``) and params."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = f"matching.{key}"
        self.params = params


@dataclass(frozen=True)
class CsvMatchOptions:
    min_size: int = 3
    max_size: int = 5
    diversity_column: str | None = None
    # None: DEFAULT_MIN_DISTINCT when a diversity column is given. Without one it is refused.
    min_distinct: int | None = None
    seed: int = 0

    def distinct_types(self) -> int:
        if not self.diversity_column:
            return 0
        return DEFAULT_MIN_DISTINCT if self.min_distinct is None else self.min_distinct


@dataclass(frozen=True)
class CsvMatchSummary:
    people: int
    groups: int
    cohesion: float
    random_cohesion: float
    skipped_empty: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = field(default_factory=tuple)


def validate_options(options: CsvMatchOptions) -> None:
    if options.min_size < 1 or options.max_size < options.min_size:
        raise CsvMatchError("csv_bad_sizes", min_size=options.min_size, max_size=options.max_size)
    if options.min_distinct is not None:
        if options.min_distinct < 0:
            raise CsvMatchError("csv_bad_min_distinct", value=options.min_distinct)
        if not options.diversity_column:
            raise CsvMatchError("csv_min_distinct_without_column", value=options.min_distinct)


def validate_paths(source: Path, target: Path) -> None:
    """Refuse to write the groups over the input: the people's texts would be lost."""
    same = source.resolve() == target.resolve()
    if not same and source.exists() and target.exists():
        same = source.samefile(target)
    if same:
        raise CsvMatchError("csv_out_is_input", path=str(target))


def read_text(path: Path) -> str:
    """The file's text in whichever encoding it was saved (the reader ``import ideas`` uses)."""
    try:
        return csv_text.read_text(path)[0]
    except csv_text.CsvTextError as error:
        raise CsvMatchError(error.key.removeprefix("matching."), **error.params) from None


def _records(reader: Iterator[list[str]], path: Path) -> Iterator[list[str]]:
    """The records, read with ``import ideas``' limits (``csv_text.records``)."""
    try:
        yield from csv_text.records(reader, path)
    except csv_text.CsvTextError as error:
        raise CsvMatchError(error.key.removeprefix("matching."), **error.params) from None


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_participants(
    path: Path, diversity_column: str | None
) -> tuple[list[Participant], tuple[str, ...]]:
    """People with text, and the ids of rows skipped because their text is empty."""
    text = read_text(path)
    if not text.strip():
        raise CsvMatchError("csv_empty", path=str(path))
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text[:_SNIFF_BYTES]))
    rows = _records(reader, path)
    header = [name.strip() for name in next(rows, [])]
    for column in (ID_COLUMN, TEXT_COLUMN, diversity_column):
        if column is not None and column not in header:
            raise CsvMatchError("csv_missing_column", column=column, found=", ".join(header))
    participants: list[Participant] = []
    skipped: list[str] = []
    first_line: dict[str, int] = {}
    for cells in rows:
        if not cells:
            continue  # a blank line, as csv.DictReader skips it
        row = dict(zip(header, cells, strict=False))
        person = (row.get(ID_COLUMN) or "").strip()
        line = reader.line_num
        if not person:
            raise CsvMatchError("csv_missing_id", line=line)
        if person in first_line:
            raise CsvMatchError(
                "csv_duplicate_id", id=person, first_line=first_line[person], line=line
            )
        first_line[person] = line
        body = (row.get(TEXT_COLUMN) or "").strip()
        if not body:
            skipped.append(person)
            continue
        organisation = (row.get(diversity_column) or "").strip() if diversity_column else ""
        participants.append(
            Participant(person, (Contribution(person, body),), organisation or None)
        )
    if not participants and not skipped:
        raise CsvMatchError("csv_no_rows", path=str(path))
    return participants, tuple(skipped)


def output_columns(diversity_column: str | None) -> tuple[str, ...]:
    person = (TEXT_COLUMN, diversity_column) if diversity_column else (TEXT_COLUMN,)
    return (ID_COLUMN, "group", *person, *TIE_COLUMNS, *GROUP_COLUMNS)


def write_groups(
    path: Path,
    result: GroupingResult,
    participants: Sequence[Participant],
    diversity_column: str | None = None,
) -> None:
    people = {person.id: person for person in participants}
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            # The diversity column's name comes from the input file: guarded like any cell.
            writer.writerow([csv_text.safe_cell(name) for name in output_columns(diversity_column)])
            for number, group in enumerate(result.groups, start=1):
                group_cells = (
                    len(group.member_ids),
                    f"{group.cohesion:.3f}",
                    "; ".join(group.key_terms),
                )
                for member in group.member_ids:
                    person = people[member]
                    tie = group.ties.get(member)
                    cells = [member, number, person.contributions[0].text]
                    if diversity_column:
                        cells.append(person.organisation_type or "")
                    cells += ["; ".join(tie.terms), f"{tie.score:.3f}"] if tie else ["", ""]
                    writer.writerow([csv_text.safe_cell(value) for value in (*cells, *group_cells)])
    except OSError as error:
        raise CsvMatchError("csv_unwritable", path=str(path), reason=error.strerror) from None


def match_csv(
    source: Path,
    target: Path,
    options: CsvMatchOptions,
    on_stage: Callable[[str], None] | None = None,
) -> CsvMatchSummary:
    """Read ``source``, form groups, write ``target``; stages: read, (engine stages), write."""
    stage = on_stage or (lambda name: None)
    validate_options(options)
    validate_paths(source, target)
    stage("read")
    participants, skipped = read_participants(source, options.diversity_column)
    grouping = GroupingOptions(
        min_size=options.min_size,
        max_size=options.max_size,
        min_distinct_types=options.distinct_types(),
    )
    result = form_groups(participants, grouping, seed=options.seed, on_stage=on_stage)
    stage("write")
    write_groups(target, result, participants, options.diversity_column)
    return CsvMatchSummary(
        people=len(participants),
        groups=len(result.groups),
        cohesion=result.cohesion,
        random_cohesion=result.random_cohesion,
        skipped_empty=skipped,
        issues=result.issues,
    )


STAGES: Sequence[str] = ("read", "analyse", "neighbours", "group", "explain", "write")
