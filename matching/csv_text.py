"""Spreadsheet files as people have them: the one reader for ``match-csv`` and ``import ideas``.

Excel, Google Forms and Decidim write CSV in several encodings and separators: UTF-8 with or
without a byte order mark, UTF-16 ("Unicode text", tab-separated), Windows-1252 (an older
"CSV" save) and Latin-1; ``;`` (Decidim, Excel in a Finnish or Swedish locale), ``,`` or tab.

The encoding is decided by rules rather than by a statistical detector: charset-normalizer
named short Finnish files mac_iceland, hp_roman8 or cp1250 (3 of 4 samples wrong), while the
files this bot meets are Western European, where the rules below are exact.

On the way out, ``safe_cell`` is the one formula guard for every CSV the bot writes
(``match-csv`` here, the exports in ``services/``).
"""

from __future__ import annotations

import codecs
import csv
import io
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
# Bytes Windows-1252 leaves undefined: a file holding them is Latin-1 (C1 controls).
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


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
    if any(byte in _CP1252_UNDEFINED for byte in raw):
        return raw.decode("latin-1"), "latin-1"
    if any(0x80 <= byte <= 0x9F for byte in raw):
        return raw.decode("cp1252"), "windows-1252"
    # Without bytes 0x80-0x9F, Windows-1252 and Latin-1 read the same characters.
    return raw.decode("latin-1"), "latin-1"


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
    """Header and rows of a CSV file in any of the encodings and separators above."""
    text, encoding = read_text(path)
    text = text.lstrip("\ufeff")
    delimiter = delimiter_of(text)
    reader = records(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), path)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CsvTextError("csv_empty", path=str(path)) from None
    rows = list(reader)  # blank records too, so that row numbers match the spreadsheet's
    return Table(header=header, rows=rows, encoding=encoding, delimiter=delimiter)


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
