"""What the columns of an idea-box export mean: Decidim proposals, Forms sheets, plain CSV.

Pure: a header and rows in, a column mapping and plain row values out. Field names follow
Decidim's ``ProposalSerializer`` as flattened by ``Decidim::Exporters::CSV``: nested keys joined
with ``/``, arrays joined with ``", "``, a leading ``'`` before strings starting ``= + - @``
(decidim/decidim#6325, since 0.23), ``;`` between columns. Read in decidim/decidim:

- up to 0.23, ``title`` and ``body`` are one string each (``present(proposal).title``);
- 0.24 to 0.27: ``title/<locale>``, ``body/<locale>``, ``category/name/<locale>``,
  ``scope/name/<locale>``, ``endorsements/*``, ``supports``; ``withdrawn`` is a ``state``.
  Bodies are HTML until 0.27.3 (decidim/decidim#9913, backported in #10539), plain text after;
  ``author/id``, ``author/name``, ``author/url`` come with #12875 (backported to 0.27 in #13108);
- 0.28: ``votes``, ``followers``, ``answered_at``, and ``withdrawn`` (true/false) with
  ``withdrawn_at`` beside ``state``;
- 0.30 on (develop at 46ab35d): ``taxonomies/ids`` and ``taxonomies/<id>/<locale>`` instead of
  category and scope (decidim/decidim#13857), ``likes/*``, ``follows_count``, ``created_at``.
  The exporter's header is the union of every row's keys, so a taxonomy first used in a later
  row has its columns at the end.

The title and body hashes may hold ``machine_translations/<locale>``: read after the author's
own languages.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlparse

LANGUAGE_FALLBACK = ("en", "fi", "sv")
ROLES = ("text", "title", "author", "email", "theme", "date")
# Header names (case-folded) each role is recognised by, in the languages of the forms met.
KNOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "idea", "ideasi", "idea text", "your idea", "din idé", "idé"),
    "title": ("title", "otsikko", "rubrik"),
    "author": ("author", "author_name", "author/name", "name", "nimi", "namn", "full name"),
    "email": (
        "email",
        "e-mail",
        "email address",
        "sähköposti",
        "sähköpostiosoite",
        "e-post",
        "e-postadress",
    ),
    "theme": ("theme", "teema", "tema", "category", "kategoria", "kategori"),
    "date": (
        "published_at",
        "created_at",
        "date",
        "timestamp",
        "aikaleima",
        "tidsstämpel",
        "completion time",
        "valmistumisaika",
        "start time",
        "aloitusaika",
    ),
}
FORMULA_GUARD = ("'=", "'+", "'-", "'@")
_BREAK = re.compile(r"<\s*(br|/p|/li|/h[1-6]|/div)\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
# HTML as Decidim wrote bodies before 0.27.3: a known element, not "<7 v ja nuoret >12 v".
_HTML = re.compile(
    r"</?(p|br|ul|ol|li|strong|em|b|i|u|a|h[1-6]|div|span|blockquote)\b[^<>]*>", re.I
)
_NAMES = re.compile(r"\s*[,;]\s*")
# ``taxonomies/<id>/<locale>``: not ``taxonomies/ids``, nor the ``taxonomies/id`` and
# ``taxonomies/name`` (Ruby hashes as text) that develop wrote for a while before #13857.
_TAXONOMY_NAME = re.compile(r"^taxonomies/\d+/")
_FREE_TEXT_LENGTH = 15
# Where a slash date with no number over 12 is read day first (13/03/2024 is 13 March):
# Finnish and Swedish Excel and Forms. An English workspace keeps Forms' en-US month first.
DAY_FIRST_LANGUAGES = ("fi", "sv")


class ColumnError(Exception):
    """The header does not say which column holds the ideas: an i18n key and its params."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = f"importing.{key}"
        self.params = params


@dataclass(frozen=True)
class DateOrder:
    """How one date column's slash dates (``12/03/2024``) are read, and what decided it."""

    day_first: bool
    by_language: bool  # no cell told (every number up to 12): the workspace language did


@dataclass(frozen=True)
class Mapping:
    """Which header columns play which role (indexes into the row), and the layout."""

    layout: str  # "decidim" or "sheet"
    columns: dict[str, list[int]] = field(default_factory=dict)
    header: tuple[str, ...] = ()
    date_orders: dict[int, DateOrder] = field(default_factory=dict)  # columns of slash dates

    def names(self) -> dict[str, str]:
        return {
            role: ", ".join(self.header[i] for i in found)
            for role, found in self.columns.items()
            if found
        }

    def date_order_names(self) -> dict[str, DateOrder]:
        return {self.header[index]: order for index, order in self.date_orders.items()}


def undo_formula_guard(value: str) -> str:
    """Decidim writes ``'=A1`` for ``=A1`` (and so do we on export): the ``'`` goes."""
    return value[1:] if value.startswith(FORMULA_GUARD) else value


def plain_text(value: str) -> str:
    """Text of an HTML body; a plain body (``<7 v ja nuoret >12 v``) stays as it is."""
    value = value.strip()
    if not _HTML.search(value):
        return value
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", value)))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_names(value: str) -> list[str]:
    """``"Liisa Virtanen, Aino Koskinen"`` → two people (Decidim joins authors with ", ")."""
    seen: list[str] = []
    for name in _NAMES.split(undo_formula_guard(value.strip())):
        if name and name.casefold() not in (known.casefold() for known in seen):
            seen.append(name)
    return seen


def _folded(header: list[str]) -> list[str]:
    return [name.strip().lstrip("\ufeff").casefold() for name in header]


def is_decidim(header: list[str]) -> bool:
    """A proposals export: an ``id`` with localized texts, or (up to 0.23, one string per text)
    with the ``component/id`` every version writes."""
    names = _folded(header)
    localized = any(name.startswith(("title/", "body/")) for name in names)
    return "id" in names and (localized or "component/id" in names)


def _localized(names: list[str], prefix: str, language: str) -> list[int]:
    """Columns ``<prefix>/<locale>``, the workspace language first, machine translations last."""
    order = [language, *[code for code in LANGUAGE_FALLBACK if code != language]]

    def rank(index: int) -> tuple[int, int, str]:
        rest = names[index][len(prefix) :]
        machine = rest.startswith("machine_translations/")
        locale = rest.rsplit("/", 1)[-1]
        known = order.index(locale) if locale in order else len(order)
        return (int(machine), known, rest)

    found = [i for i, name in enumerate(names) if name.startswith(prefix)]
    return sorted(found, key=rank)


def _text(names: list[str], name: str, language: str) -> list[int]:
    """``<name>/<locale>`` columns, else the one ``<name>`` column of exports up to 0.23."""
    return _localized(names, f"{name}/", language) or ([names.index(name)] if name in names else [])


def decidim_mapping(header: list[str], language: str) -> Mapping:
    names = _folded(header)
    taxonomies = [
        i for i in _localized(names, "taxonomies/", language) if _TAXONOMY_NAME.match(names[i])
    ]
    themes = _localized(names, "category/name/", language) + taxonomies
    single = {key: [names.index(key)] if key in names else [] for key in ("id", "url", "state")}
    columns = {
        "text": _text(names, "body", language),
        "title": _text(names, "title", language),
        "author": [names.index("author/name")] if "author/name" in names else [],
        "theme": themes,
        "date": [names.index(key) for key in ("published_at", "created_at") if key in names],
        "withdrawn": [names.index("withdrawn")] if "withdrawn" in names else [],
        **single,
    }
    return Mapping("decidim", columns, tuple(header))


def _column(names: list[str], header: list[str], wanted: str, option: str) -> int:
    folded = wanted.strip().casefold()
    if folded not in names:
        raise ColumnError("no_such_column", column=wanted, option=option, columns=", ".join(header))
    return names.index(folded)


def sheet_mapping(
    header: list[str], rows: list[list[str]], chosen: dict[str, str | None]
) -> Mapping:
    """Columns of a form sheet: as chosen, else by known names, else the one free-text column."""
    names = _folded(header)
    columns: dict[str, list[int]] = {}
    for role in ROLES:
        if chosen.get(role):
            columns[role] = [_column(names, header, chosen[role] or "", f"--{role}-column")]
        else:
            known = [names.index(name) for name in KNOWN_COLUMNS[role] if name in names]
            columns[role] = known[:1]
    taken = {i for role, found in columns.items() if role != "text" for i in found}
    if not columns["text"]:
        # A header of punctuation only ("[" of a JSON file read as CSV) names no text.
        worded = [i for i, name in enumerate(names) if not name or any(map(str.isalnum, name))]
        free = [i for i in _free_text_columns(rows, len(header)) if i not in taken and i in worded]
        if len(free) > 1 or not (free or columns["title"]):
            raise ColumnError(
                "which_text_column", columns=", ".join(header), option="--text-column"
            )
        columns["text"] = free
    return Mapping("sheet", columns, tuple(header))


def _free_text_columns(rows: list[list[str]], width: int) -> list[int]:
    """Columns whose cells read as sentences: long on average, not dates, not e-mails."""
    found = []
    for index in range(width):
        cells = [row[index].strip() for row in rows if index < len(row) and row[index].strip()]
        if not cells:
            continue
        average = sum(len(cell) for cell in cells) / len(cells)
        sentences = sum(" " in cell for cell in cells) / len(cells)
        dated = sum(_is_date(cell) for cell in cells) / len(cells)
        mails = sum("@" in cell and " " not in cell for cell in cells) / len(cells)
        if average >= _FREE_TEXT_LENGTH and sentences >= 0.5 and dated < 0.5 and mails < 0.5:
            found.append(index)
    return found


def _is_date(value: str) -> bool:
    return any(parse_date(value, UTC, day_first=order) for order in (False, True))


def cell(row: list[str], mapping: Mapping, role: str) -> str:
    """The first non-empty cell of ``role`` (the preferred language first), guard undone."""
    for index in mapping.columns.get(role, []):
        if index < len(row) and row[index].strip():
            return undo_formula_guard(row[index].strip())
    return ""


# -- dates -----------------------------------------------------------------------------------

_FINNISH = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(?:klo\s+)?(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?)?$"
)
_SLASH = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_ZONE_NAME = re.compile(r"\s+(UTC|GMT|Z)$")


def with_date_orders(mapping: Mapping, rows: list[list[str]], language: str) -> Mapping:
    """The mapping with the order of each date column's slash dates, decided once, from all
    of its cells: a first number over 12 anywhere (13/03/2024) makes the column day first, a
    second one (03/13/2024) month first; when no cell tells, the workspace language decides.
    Deciding per cell read 12/03 as 3 December next to 13/03 as 13 March."""
    orders: dict[int, DateOrder] = {}
    for index in mapping.columns.get("date", []):
        cells = [row[index].strip() for row in rows if index < len(row)]
        slashed = [match for match in map(_SLASH.match, cells) if match]
        if not slashed:
            continue
        day_first = any(int(match.group(1)) > 12 for match in slashed)
        month_first = any(int(match.group(2)) > 12 for match in slashed)
        if day_first != month_first:
            orders[index] = DateOrder(day_first=day_first, by_language=False)
        else:
            orders[index] = DateOrder(language in DAY_FIRST_LANGUAGES, by_language=True)
    return replace(mapping, date_orders=orders)


def date_of(row: list[str], mapping: Mapping, local: tzinfo) -> datetime | None:
    """The first date cell of a row with a value, read in its column's order."""
    for index in mapping.columns.get("date", []):
        if index < len(row) and row[index].strip():
            order = mapping.date_orders.get(index)
            return parse_date(row[index], local, day_first=bool(order and order.day_first))
    return None


def parse_date(value: str, local: tzinfo, *, day_first: bool = False) -> datetime | None:
    """Decidim (``2023-03-14 10:22:31 UTC``, ``+0300``), ISO, Finnish and slash form dates
    (``3/14/2024 9:02 AM`` month first, or with ``day_first`` ``14/03/2024 09:02``).

    Times without a zone are read in ``local`` (the organisation's own clock).
    """
    text = _ZONE_NAME.sub(" +0000", value.strip())
    if not text:
        return None
    moment = _iso(text) or _finnish(text) or _slashed(text, day_first)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=local)


def _iso(text: str) -> datetime | None:
    for candidate in (text, text.replace(" +", "+").replace(" -", "-")):
        try:
            return datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            continue
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _finnish(text: str) -> datetime | None:
    match = _FINNISH.match(text)
    if not match:
        return None
    day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _slashed(text: str, day_first: bool) -> datetime | None:
    match = _SLASH.match(text)
    if not match:
        return None
    first, second_number, year, hour, minute, second = (
        int(part or 0) for part in match.groups()[:6]
    )
    day, month = (first, second_number) if day_first else (second_number, first)
    meridiem = (match.group(7) or "").lower()
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


# -- Decidim states --------------------------------------------------------------------------


def decidim_source(url: str) -> str:
    """``decidim:<host>``: Decidim ids are unique within one installation."""
    host = urlparse(url).hostname if url else None
    return f"decidim:{host}" if host else "decidim"


def is_withdrawn(state: str, withdrawn: str) -> bool:
    return state.strip().lower() == "withdrawn" or withdrawn.strip().lower() in ("true", "1")
