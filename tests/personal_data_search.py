"""Search every text column of every table for traces of a person (used by forget-me tests)."""

from __future__ import annotations

from sqlalchemy import String, Text, func, or_, select

from models import Base
from models.db import Database


def traces(database: Database, *needles: str) -> list[tuple[str, str, str]]:
    """(table, column, value) wherever any needle occurs, case-insensitively."""
    found: list[tuple[str, str, str]] = []
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text):
                    continue
                matches = [func.lower(column).contains(needle.lower()) for needle in needles]
                for value in session.scalars(select(column).where(or_(*matches))):
                    found.append((table.name, column.name, value))
    return found
