"""Import ideas from an idea box (Decidim, a Forms sheet, plain CSV) and export them as CSV.

Import is idempotent. A Decidim proposal is known by its installation and id, so the same
proposals exported by a newer Decidim (another layout) add nothing; other rows by a hash of
their content. Authors become *offline participants*: known by name (and e-mail), never sent
to Slack, until someone in Slack claims their ideas. Every row is accounted for in the report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from matching.csv_text import CsvTextError, Table, read_table, safe_cell
from models import Idea, IdeaCoauthor, IdeaKind, IdeaStatus, Participant, Stage
from models.queries import find_participant, insert_ignoring_conflict
from services import import_formats as formats
from services.errors import InvalidInput
from services.ideas import MAX_THEME, MAX_TITLE, IdeaInput, safe_link, search_text, validate
from services.import_formats import ColumnError, Mapping
from services.participants import display_name

MAX_NAME = 255


@dataclass(frozen=True)
class ImportOptions:
    team_id: str
    # The deployment's zone (COLLIDER_TIME_ZONE), for the times a form writes without one.
    time_zone: str
    kind: IdeaKind = IdeaKind.IDEA
    theme: str | None = None
    language: str = "en"  # the workspace's default: picks title/fi, body/sv, ...
    text_column: str | None = None
    title_column: str | None = None
    author_column: str | None = None
    theme_column: str | None = None
    date_column: str | None = None
    email_column: str | None = None


@dataclass
class ImportReport:
    encoding: str = ""
    layout: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    date_orders: dict[str, formats.DateOrder] = field(default_factory=dict)  # by column name
    rows: int = 0
    imported: list[int] = field(default_factory=list)  # row numbers, the header is row 1
    already_imported: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    undated: list[int] = field(default_factory=list)  # imported, but the date was not read
    dry_run: bool = False


class ImportFileError(Exception):
    """The file cannot be imported at all: an i18n key and its params, nothing written."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class ImportFile:
    table: Table
    mapping: Mapping


def open_import(path: Path, options: ImportOptions) -> ImportFile:
    """Read the file and decide what its columns mean, before anything is written."""
    try:
        table = read_table(path)
    except CsvTextError as error:
        raise ImportFileError(error.key, **error.params) from None
    chosen = {
        "text": options.text_column,
        "title": options.title_column,
        "author": options.author_column,
        "theme": options.theme_column,
        "date": options.date_column,
        "email": options.email_column,
    }
    try:
        if formats.is_decidim(table.header) and not any(chosen.values()):
            mapping = formats.decidim_mapping(table.header, options.language)
        else:
            mapping = formats.sheet_mapping(table.header, table.rows, chosen)
    except ColumnError as error:
        raise ImportFileError(error.key, **error.params) from None
    return ImportFile(table, formats.with_date_orders(mapping, table.rows, options.language))


@dataclass(frozen=True)
class RowPlan:
    """One row, read: what the idea will be, who wrote it, and how it is known."""

    number: int
    data: IdeaInput
    key: str
    authors: list[str]
    email: str | None
    created_at: object  # datetime | None
    source: str
    source_id: str | None
    state: str | None
    status: IdeaStatus
    stage: Stage


def _cut(value: str | None, limit: int) -> str | None:
    if not value or len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + "…"


def plan_row(number: int, row: list[str], mapping: Mapping, options: ImportOptions) -> RowPlan:
    """Raises InvalidInput (errors.empty) for a row without text."""
    value = lambda role: formats.cell(row, mapping, role)  # noqa: E731 - reads as a table
    body, title = formats.plain_text(value("text")), formats.plain_text(value("title"))
    if not body and title:
        body, title = title, ""
    # Nothing is refused for length: the body is kept whole; title and theme are shortened.
    data = validate(
        IdeaInput(
            kind=options.kind,
            body=body,
            title=_cut(title.replace("\n", " ").strip(), MAX_TITLE),
            theme=_cut(options.theme or value("theme"), MAX_THEME),
            source_url=value("url") or None,
        ),
        max_body=None,
    )
    decidim = mapping.layout == "decidim"
    url = value("url") if decidim else ""
    source = formats.decidim_source(url) if decidim else "file"
    source_id = value("id") if decidim else None
    state = (value("state") or None) if decidim else None
    withdrawn = formats.is_withdrawn(value("state"), value("withdrawn")) if decidim else False
    identity = f"{source}\n{source_id}" if source_id else _content(data)
    return RowPlan(
        number=number,
        data=data,
        key=import_key(options.team_id, identity),
        authors=[name[:MAX_NAME] for name in formats.split_names(value("author"))],
        email=value("email").lower() if "@" in value("email") else None,
        created_at=formats.date_of(row, mapping, _zone(options.time_zone)),
        source=source,
        source_id=source_id[:64] if source_id else None,
        state="withdrawn" if withdrawn else (state[:40] if state else None),
        status=IdeaStatus.WITHDRAWN
        if withdrawn
        else (IdeaStatus.CLOSED if (state or "").lower() == "rejected" else IdeaStatus.OPEN),
        stage=Stage.STOPPED if (state or "").lower() == "rejected" else Stage.IDEA,
    )


def import_key(team_id: str, identity: str) -> str:
    """A row's key: its identity within the workspace it is imported into. Two workspaces of
    one deployment may import the same file, and neither learns what the other holds.

    The hash of the identity alone is the key from before workspaces (migration 0041 turns
    those into these with the author's workspace)."""
    unscoped = hashlib.sha256(identity.encode()).hexdigest()
    return hashlib.sha256(f"{team_id}\n{unscoped}".encode()).hexdigest()


def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def _content(data: IdeaInput) -> str:
    return "\n".join((data.kind.value, data.title or "", data.body)).casefold()


def import_rows(
    session: Session,
    source: ImportFile,
    options: ImportOptions,
    *,
    dry_run: bool = False,
    progress: Callable[[Iterable[list[str]]], Iterable[list[str]]] = lambda rows: rows,
) -> ImportReport:
    """Import every row with text that is not imported yet; with ``dry_run``, write nothing."""
    report = ImportReport(
        encoding=source.table.encoding,
        layout=source.mapping.layout,
        columns=source.mapping.names(),
        date_orders=source.mapping.date_order_names(),
        rows=len(source.table.rows),
        dry_run=dry_run,
    )
    seen: set[str] = set()
    for number, row in enumerate(progress(source.table.rows), start=2):
        try:
            plan = plan_row(number, row, source.mapping, options)
        except InvalidInput:
            report.empty.append(number)
            continue
        known = session.scalar(select(Idea.id).where(Idea.import_key == plan.key))
        if plan.key in seen or known is not None:
            report.already_imported.append(number)
            continue
        seen.add(plan.key)
        report.imported.append(number)
        if plan.created_at is None:
            report.undated.append(number)
        if not dry_run:
            _store(session, plan, options)
    return report


def _store(session: Session, plan: RowPlan, options: ImportOptions) -> Idea:
    people = [_offline_person(session, options.team_id, plan, name) for name in plan.authors]
    if not people:
        people = [_offline_person(session, options.team_id, plan, None)]
    idea = Idea(
        author=people[0],
        kind=plan.data.kind,
        title=plan.data.title or "",
        body=plan.data.body,
        theme=plan.data.theme,
        status=plan.status,
        stage=plan.stage,
        import_key=plan.key,
        source=plan.source,
        source_id=plan.source_id,
        source_state=plan.state,
        source_url=safe_link(plan.data.source_url),
    )
    if plan.created_at is not None:
        idea.created_at = plan.created_at  # type: ignore[assignment]
    idea.search_text = search_text(idea)
    session.add(idea)
    session.flush()
    for person in people[1:]:
        session.add(IdeaCoauthor(idea_id=idea.id, participant_id=person.id))
    return idea


def offline_user_id(identity: str) -> str:
    """A made-up, stable user id (32 characters) that can never be a Slack id."""
    return "offline-" + hashlib.sha256(identity.casefold().encode()).hexdigest()[:24]


def _offline_person(session: Session, team_id: str, plan: RowPlan, name: str | None) -> Participant:
    """The offline participant for an author: by e-mail, else by name within the source.

    A row without an author gets a participant of its own (anonymous, not one shared one).
    """
    only = len(plan.authors) <= 1
    name = display_name(name)
    if plan.email and only:
        identity = f"email:{plan.email}"
    elif name:
        identity = f"name:{plan.source}:{name}"
    else:
        identity = f"anonymous:{plan.key}"
    user_id = offline_user_id(identity)
    person = find_participant(session, team_id, user_id)
    if person is None:
        insert_ignoring_conflict(
            session,
            Participant.__table__,  # type: ignore[arg-type]
            {
                "team_id": team_id,
                "user_id": user_id,
                "display_name": name,
                "email": plan.email if only else None,
                "is_offline": True,
                "opt_in": "in",
            },
        )
        person = find_participant(session, team_id, user_id)
        assert person is not None
    return person


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
    # Kept by import since issue 14:
    "coauthors",
    "in_slack",
    "source",
    "source_id",
    "source_state",
)


def person_name(person: Participant) -> str:
    """A name for a spreadsheet: the display name, else the Slack id (never a made-up one)."""
    if person.forgotten_at:
        return ""
    return person.display_name or ("" if person.is_offline else person.user_id)


def idea_rows(session: Session, team_id: str | None = None) -> Iterator[list[str]]:
    yield list(IDEA_COLUMNS)
    query = select(Idea).options(joinedload(Idea.author)).order_by(Idea.id)
    if team_id:
        query = query.join(Participant, Participant.id == Idea.author_id).where(
            Participant.team_id == team_id
        )
    coauthors: dict[int, list[str]] = {}
    for link in session.scalars(
        select(IdeaCoauthor).options(joinedload(IdeaCoauthor.participant)).order_by(IdeaCoauthor.id)
    ):
        coauthors.setdefault(link.idea_id, []).append(person_name(link.participant))
    for idea in session.scalars(query):
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
            person_name(author),
            author.organisation,
            author.organisation_type.value if author.organisation_type else None,
            idea.created_at,
            idea.source_url,
            ", ".join(name for name in coauthors.get(idea.id, []) if name),
            "no" if author.is_offline else "yes",
            idea.source,
            idea.source_id,
            idea.source_state,
        ]
        yield [safe_cell(value) for value in values]
