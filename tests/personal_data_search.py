"""Search every column of every table for traces of a person (used by the data-rights tests)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from models import Base
from models.db import Database


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def traces(database: Database, *needles: str) -> list[tuple[str, str, str]]:
    """(table, column, value) wherever any needle occurs, case-insensitively, in any column
    (texts, JSON and binary ones included)."""
    wanted = [needle.casefold() for needle in needles]
    found: list[tuple[str, str, str]] = []
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    text = _as_text(value)
                    if any(needle in text.casefold() for needle in wanted):
                        found.append((table.name, column, text))
    return found


def rows_referring_to(
    database: Database, participant_id: int, strings: tuple[str, ...]
) -> dict[str, set[Any]]:
    """Primary keys, per table, of rows that point at the participant (a foreign key to
    ``participants.id``, or the row itself) or hold one of ``strings`` in any column."""
    found: dict[str, set[Any]] = {}
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            pointing = [
                column.name
                for column in table.columns
                if any(key.column.table.name == "participants" for key in column.foreign_keys)
            ]
            if table.name == "participants":
                pointing.append("id")
            key = next(iter(table.primary_key.columns)).name
            for row in session.execute(select(table)).mappings():
                if any(row[name] == participant_id for name in pointing) or any(
                    needle in _as_text(value) for value in row.values() for needle in strings
                ):
                    found.setdefault(table.name, set()).add(row[key])
    return found
