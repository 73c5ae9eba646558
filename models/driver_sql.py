"""Helpers for the few statements the hottest paths send through the driver itself
(``Database.in_driver_transaction``): no SQLAlchemy statement objects there."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy.engine import Dialect

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)\b")


@cache
def in_dialect(statement: str, dialect_name: str) -> str:
    """``statement``'s ``:name`` parameters as the driver wants them: psycopg takes
    ``%(name)s``, sqlite3 the ``:name`` written."""
    if dialect_name != "postgresql":
        return statement
    return _NAMED.sub(r"%(\1)s", statement)


def for_driver(statement: str, dialect: Dialect) -> str:
    return in_dialect(statement, dialect.name)
