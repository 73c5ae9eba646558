"""Spreadsheet files as people have them: the one reader for ``match-csv`` and ``import ideas``.

Excel, Google Forms and Decidim write CSV in several encodings and separators: UTF-8 with or
without a byte order mark, UTF-16 ("Unicode text", tab-separated), Windows-1252 (an older
"CSV" save), Latin-1 and MacRoman (Excel for Mac's "CSV"); ``;`` (Decidim, Excel in a Finnish
or Swedish locale), ``,`` or tab.

The encoding is decided by rules rather than by a statistical detector: charset-normalizer
named short Finnish files mac_iceland, hp_roman8 or cp1250 (3 of 4 samples wrong); measured
again with 3.5.2 on the MacRoman, Latin-1, Windows-1252, UTF-8 and UTF-16 files of the tests,
it read MacRoman as cp437 (Å as ü) and Latin-1 and Windows-1252 as cp1250 (Å as Ĺ). The files
this bot meets are Western European, where the rules below are exact.

On the way out, ``safe_cell`` is the one formula guard for every CSV the bot writes
(``match-csv`` here, the exports in ``services/``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DELIMITERS = ",;\t"
# Zero-width characters: invisible, so a spreadsheet (and a person) may take text made of
# them, or starting with them, for what follows. ``services/text.py`` treats them as blank.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection), also
# in their full-width forms (＝＋－＠), which some spreadsheets fold to the ASCII ones.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Skipped when looking for the first character: a spreadsheet may drop them (zero-width
# characters, spaces) before it decides whether the cell is a formula.
_IGNORED_BEFORE = ZERO_WIDTH + " \u00a0\u3000"
# The longest cell read, in characters. Python's csv module stops at 131,072; Decidim bodies
# with an image pasted in (a data: URL, dropped with the HTML on import) are longer. Past this,
# a cell is most likely a quote that is never closed, and the matching engine's memory grows with
# the text: the file is refused, naming the row.
MAX_CELL = 1024 * 1024
# Nesting of a JSON row read (Decidim's deepest key is ``title/machine_translations/fi``).
_JSON_DEPTH = 8
# Bytes Windows-1252 leaves undefined: a file holding them is Latin-1 (C1 controls), or MacRoman.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# Letters of Finnish, Swedish, Norwegian and Danish text (and é, ü of names): what decides
# between the single-byte encodings, which all read ASCII the same.
_NORDIC_LETTERS = "äöåÄÖÅøØæÆéÉüÜ"


class CsvTextError(Exception):
    """The file cannot be read as text: an i18n key (``matching.<key>``) and its params."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = f"matching.{key}"
        self.params = params


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str


def _utf16_without_bom(raw: bytes) -> str | None:
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        return "utf-16-le"
    if even > len(sample) // 4 and odd == 0:
        return "utf-16-be"
    return None


def decode(raw: bytes, path: str = "") -> tuple[str, str]:
    """The text of a file and the name of the encoding it was read in."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8 (with BOM)"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name = "utf-16-le" if raw.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        try:
            return raw[2:].decode(name), "utf-16"
        except UnicodeDecodeError as error:
            raise CsvTextError("csv_encoding", path=path, line=_line(raw, error)) from None
    utf16 = _utf16_without_bom(raw)
    if utf16:
        try:
            return raw.decode(utf16), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if b"\x00" in raw:
        # Not text in any single-byte encoding (a spreadsheet saved as .xlsx, an image).
        raise CsvTextError("csv_encoding", path=path, line=_line(raw, utf8_error))
    return _single_byte(raw)


def _single_byte(raw: bytes) -> tuple[str, str]:
    """Windows-1252, Latin-1 or MacRoman: the reading with more Nordic letters, Windows first.

    Excel for Mac saves "CSV" in MacRoman, where ä ö å Ä Ö Å are bytes 0x80-0x9F: Windows-1252
    reads them as Š š Œ (or, Latin-1, as invisible C1 controls), while Windows-1252's and
    Latin-1's ä ö å (0xE4 0xF6 0xE5) are ‰ ˆ Â in MacRoman. Text without such letters (English
    with curly quotes) stays Windows-1252.
    """
    if any(byte in _CP1252_UNDEFINED for byte in raw):
        windows, name = raw.decode("latin-1"), "latin-1"
    elif any(0x80 <= byte <= 0x9F for byte in raw):
        windows, name = raw.decode("cp1252"), "windows-1252"
    else:
        # Without bytes 0x80-0x9F, Windows-1252 and Latin-1 read the same characters.
        windows, name = raw.decode("latin-1"), "latin-1"
    mac = raw.decode("mac_roman")
    if _nordic_letters(mac) > _nordic_letters(windows):
        return mac, "mac-roman"
    return windows, name


def _nordic_letters(text: str) -> int:
    return sum(text.count(letter) for letter in _NORDIC_LETTERS)


def _line(raw: bytes, error: UnicodeDecodeError) -> int:
    return raw[: error.start].count(b"\n") + 1


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and encoding, or CsvTextError naming what went wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CsvTextError("csv_not_found", path=str(path)) from None
    except OSError as error:
        raise CsvTextError("csv_unreadable", path=str(path), reason=error.strerror) from None
    return decode(raw, str(path))


def delimiter_of(text: str) -> str:
    # The header line decides: csv.Sniffer guesses wrong on bodies full of "&amp;" and commas.
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)


def records(reader: Iterable[list[str]], path: Path) -> Iterator[list[str]]:
    """The records of a ``csv.reader``, the header first (row 1); one that cannot be read (a
    cell over MAX_CELL characters) raises CsvTextError naming its row. Callers read every
    record before acting on any, so a refused file leaves nothing half-done."""
    csv.field_size_limit(MAX_CELL)  # process-wide, and only ever set here
    rows = iter(reader)
    number = 1
    while True:
        try:
            record = next(rows)
        except StopIteration:
            return
        except csv.Error:
            # Not strict: the field limit is the one error a csv.reader raises here.
            raise CsvTextError(
                "csv_cell_too_long", path=str(path), row=number, limit=MAX_CELL
            ) from None
        yield record
        number += 1


def read_table(path: Path) -> Table:
    """Header and rows of a CSV file in any of the encodings and separators above, or of a
    JSON list of objects (Decidim's JSON export) flattened as Decidim's CSV export is."""
    text, encoding = read_text(path)
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith(("[", "{")):
        table = _json_table(text, path, encoding)
        if table is not None:
            return table
    delimiter = delimiter_of(text)
    reader = records(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), path)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CsvTextError("csv_empty", path=str(path)) from None
    rows = list(reader)  # blank records too, so that row numbers match the spreadsheet's
    return Table(header=header, rows=rows, encoding=encoding, delimiter=delimiter)


def _json_table(text: str, path: Path, encoding: str) -> Table | None:
    """``Decidim::Exporters::JSON`` writes the serializer hashes that ``Exporters::CSV``
    flattens: flattened the same way here (nested keys joined with ``/``, arrays with ``", "``,
    the header the union of the rows' keys), both exports read as one. None when the text is
    not JSON but its first line is a CSV header (``[id];[text]``)."""
    try:
        items = json.loads(text)
    except RecursionError:
        raise CsvTextError("json_not_rows", path=str(path)) from None
    except ValueError:
        if any(char.isalnum() for char in text.lstrip().split("\n", 1)[0]):
            return None
        raise CsvTextError("json_not_rows", path=str(path)) from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CsvTextError("json_not_rows", path=str(path))
    if not items:
        raise CsvTextError("csv_empty", path=str(path))
    flat = [_flattened(item, path, row) for row, item in enumerate(items, start=2)]
    header = list(dict.fromkeys(key for item in flat for key in item))
    rows = [[item.get(key, "") for key in header] for item in flat]
    return Table(header=header, rows=rows, encoding=encoding, delimiter="json")


def _flattened(value: object, path: Path, row: int, key: str = "") -> dict[str, str]:
    """One JSON object as the cells Decidim's CSV export writes for it."""
    if isinstance(value, dict):
        if key.count("/") >= _JSON_DEPTH:
            raise CsvTextError("json_not_rows", path=str(path))
        cells: dict[str, str] = {}
        for name, inner in value.items():
            cells.update(_flattened(inner, path, row, f"{key}/{name}" if key else str(name)))
        return cells
    if isinstance(value, list):
        text = ", ".join(_json_scalar(item) for item in value)
    else:
        text = _json_scalar(value)
    if len(text) > MAX_CELL:
        raise CsvTextError("csv_cell_too_long", path=str(path), row=row, limit=MAX_CELL)
    return {key: text}


def _json_scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _first_meaningful(text: str) -> str:
    rest = text.lstrip(_IGNORED_BEFORE)
    if not rest:
        return ""
    # NFKC folds the full-width forms (U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠) to ASCII.
    return unicodedata.normalize("NFKC", rest[0])


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix with ')."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    if text.startswith(FORMULA_START) or _first_meaningful(text).startswith(FORMULA_START):
        return "'" + text
    return text
