"""Import ideas from CSV (an idea box, a Decidim export) and export them as CSV.

Import is idempotent: each row's content is hashed into ``ideas.import_key``, so importing the
same file twice adds nothing. Every skipped row is reported with its reason.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import Idea, IdeaKind, IdeaStatus, Participant
from services.errors import InvalidInput
from services.ideas import IdeaInput, search_text, validate
from services.participants import SlackUser, ensure_participant
from services.spreadsheet import safe_cell

IMPORT_TEAM = "T0IMPORT"
PLACEHOLDER_AUTHOR = "imported"
THEME_COLUMNS = ("theme", "category", "scope", "category/name", "scope/name")
AUTHOR_COLUMNS = ("author", "author_name", "author/name")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/li|/h\d)\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class ImportOptions:
    kind: IdeaKind = IdeaKind.IDEA
    theme: str | None = None
    author_column: str | None = None
    team_id: str = IMPORT_TEAM


@dataclass(frozen=True)
class Skipped:
    row: int  # as a spreadsheet numbers it: the header is row 1
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    skipped: list[Skipped] = field(default_factory=list)


class ImportFileError(Exception):
    """The file cannot be imported at all (no text column, not CSV)."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file (comma, semicolon or tab; UTF-8 with or without BOM)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFileError(f"cannot read {path}: {error}") from None
    # The header line decides: csv.Sniffer guesses wrong on bodies full of "&amp;" and commas.
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    if not any(_is_text_column(name) for name in columns):
        raise ImportFileError(
            "the file needs a 'text' column, or 'title' and/or 'body' (Decidim: title/xx, body/xx);"
            f" found: {', '.join(columns) or 'no columns'}"
        )
    return [
        {(key or "").strip().lower(): (value or "") for key, value in row.items()} for row in reader
    ]


def _is_text_column(name: str) -> bool:
    return name in ("text", "title", "body") or name.startswith(("title/", "body/"))


def _plain(value: str) -> str:
    """Decidim bodies are HTML: keep the text, with line breaks where paragraphs were."""
    if "<" not in value:
        return value.strip()
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", value))).strip()


def _first(row: dict[str, str], name: str) -> str:
    """The column ``name``, or the first non-empty ``name/<language>`` (Decidim)."""
    if row.get(name, "").strip():
        return row[name]
    return next((v for k, v in row.items() if k.startswith(name + "/") and v.strip()), "")


def _published(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def row_input(row: dict[str, str], options: ImportOptions) -> IdeaInput:
    body = _plain(row.get("text", "")) or _plain(_first(row, "body"))
    title = _plain(_first(row, "title")) or None
    if not body and title:
        body, title = title, None
    theme = options.theme or next((row[c] for c in THEME_COLUMNS if row.get(c, "").strip()), None)
    return IdeaInput(kind=options.kind, body=body, title=title, theme=theme)


def content_key(data: IdeaInput) -> str:
    text = "\n".join((data.kind.value, data.title or "", data.body)).casefold()
    return hashlib.sha256(text.encode()).hexdigest()


def _author(session: Session, row: dict[str, str], options: ImportOptions) -> Participant:
    columns = (options.author_column.lower(),) if options.author_column else AUTHOR_COLUMNS
    name = next((row[c].strip() for c in columns if row.get(c, "").strip()), "")
    if not name:
        return ensure_participant(session, SlackUser(options.team_id, PLACEHOLDER_AUTHOR))
    user_id = "import-" + hashlib.sha256(name.casefold().encode()).hexdigest()[:20]
    return ensure_participant(session, SlackUser(options.team_id, user_id, name))


_REASONS = {"errors.empty": "empty", "errors.too_long": "too long"}


def import_rows(
    session: Session,
    rows: Iterable[dict[str, str]],
    options: ImportOptions,
    progress: Callable[[Iterable[dict[str, str]]], Iterable[dict[str, str]]] = lambda rows: rows,
) -> ImportReport:
    report = ImportReport()
    seen: dict[str, int] = {}
    for number, row in enumerate(progress(rows), start=2):
        try:
            data = validate(row_input(row, options))
        except InvalidInput as error:
            reason = _REASONS.get(error.key, error.key)
            if error.key == "errors.too_long":
                reason += f" ({error.field}: {error.params['length']} > {error.params['limit']})"
            report.skipped.append(Skipped(number, reason))
            continue
        key = content_key(data)
        if key in seen:
            report.skipped.append(Skipped(number, f"duplicate of row {seen[key]}"))
            continue
        seen[key] = number
        if session.scalar(select(Idea.id).where(Idea.import_key == key)) is not None:
            report.skipped.append(Skipped(number, "already imported"))
            continue
        idea = Idea(
            author=_author(session, row, options),
            kind=data.kind,
            title=data.title or "",
            body=data.body,
            theme=data.theme,
            status=IdeaStatus.OPEN,
            import_key=key,
        )
        published = _published(row.get("published_at", ""))
        if published:
            idea.created_at = published
        idea.search_text = search_text(idea)
        session.add(idea)
        session.flush()
        report.imported += 1
    return report


# -- export -----------------------------------------------------------------------------------

IDEA_COLUMNS = (
    "id",
    "kind",
    "title",
    "body",
    "theme",
    "theme_id",
    "stage",
    "status",
    "author",
    "organisation",
    "organisation_type",
    "created_at",
    "source_url",
)


def idea_rows(session: Session) -> Iterator[list[str]]:
    yield list(IDEA_COLUMNS)
    ideas = session.scalars(select(Idea).options(joinedload(Idea.author)).order_by(Idea.id))
    for idea in ideas:
        author: Participant = idea.author
        values: list[object] = [
            idea.id,
            idea.kind.value,
            idea.title,
            idea.body,
            idea.theme,
            idea.theme_id,
            idea.stage.value,
            idea.status.value,
            author.display_name or ("" if author.forgotten_at else author.user_id),
            author.organisation,
            author.organisation_type.value if author.organisation_type else None,
            idea.created_at,
            idea.source_url,
        ]
        yield [safe_cell(value) for value in values]
