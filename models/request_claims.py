"""The claim every form submission and click makes before its listener runs
(``handlers/replays.py``), in one driver statement: it runs for every interaction.

One upsert both claims a new key and takes over a pending claim whose attempt died (older than
``stale_before``): a row comes back in either case, none when another attempt holds the key or
settled it. One statement is atomic by itself, so on PostgreSQL it runs without BEGIN and
COMMIT (``Database.in_driver_transaction(single_statement=True)``); two copies of one click
in flight at once wait for each other on the key, and only one gets a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Dialect

from models.capture import datetime_binder
from models.driver_sql import for_driver
from models.queries import REQUEST_DONE, REQUEST_PENDING

_CLAIM = (
    "INSERT INTO handled_requests (key, result, created_at) VALUES (:key, :pending, :now)"
    " ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at"
    " WHERE handled_requests.result = :pending AND handled_requests.created_at < :stale"
    " RETURNING id"
)
_SETTLE = "UPDATE handled_requests SET result = :done WHERE key = :key"


def claim_interaction(
    cursor: Any, dialect: Dialect, key: str, now: datetime, stale_before: datetime
) -> bool:
    """Claim ``key`` as pending; True when this caller may act on it."""
    bind = datetime_binder(dialect)
    cursor.execute(
        for_driver(_CLAIM, dialect),
        {"key": key, "pending": REQUEST_PENDING, "now": bind(now), "stale": bind(stale_before)},
    )
    return cursor.fetchone() is not None


def settle_interaction(cursor: Any, dialect: Dialect, key: str) -> None:
    """Mark ``key`` done (for a listener whose effect was not a database write)."""
    cursor.execute(for_driver(_SETTLE, dialect), {"key": key, "done": REQUEST_DONE})
