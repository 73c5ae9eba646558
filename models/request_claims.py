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
from models.languages import StoredLanguage, stored_language
from models.queries import REQUEST_DONE, REQUEST_PENDING

_CLAIM = (
    "INSERT INTO handled_requests (key, result, created_at) VALUES (:key, :pending, :now)"
    " ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at"
    " WHERE handled_requests.result = :pending AND handled_requests.created_at < :stale"
    " RETURNING id"
)
_SETTLE = "UPDATE handled_requests SET result = :done WHERE key = :key"
# The claim and the sender's language columns (``models/languages.py``) in one statement: a
# data-modifying CTE runs whether or not a row comes back from it, and one row always comes.
_CLAIM_WITH_LANGUAGE = (
    f"WITH claim AS ({_CLAIM})"
    " SELECT EXISTS (SELECT 1 FROM claim), participants.id, participants.language,"
    " participants.slack_locale FROM (SELECT 1) AS one LEFT JOIN participants"
    " ON participants.team_id = :team_id AND participants.user_id = :user_id"
)


def claim_interaction(
    cursor: Any, dialect: Dialect, key: str, now: datetime, stale_before: datetime
) -> bool:
    """Claim ``key`` as pending; True when this caller may act on it."""
    cursor.execute(for_driver(_CLAIM, dialect), _claim_parameters(dialect, key, now, stale_before))
    return cursor.fetchone() is not None


def _claim_parameters(
    dialect: Dialect, key: str, now: datetime, stale_before: datetime
) -> dict[str, Any]:
    bind = datetime_binder(dialect)
    return {"key": key, "pending": REQUEST_PENDING, "now": bind(now), "stale": bind(stale_before)}


def claim_with_language(
    cursor: Any,
    dialect: Dialect,
    key: str,
    now: datetime,
    stale_before: datetime,
    sender: tuple[str, str],
) -> tuple[bool, StoredLanguage | None]:
    """As ``claim_interaction``, and the language columns of ``sender`` (team id, user id),
    which nearly every listener needs: on PostgreSQL in the same statement (one round trip for
    both), elsewhere one statement after the other in the claim's transaction."""
    team_id, user_id = sender
    if dialect.name != "postgresql":
        owned = claim_interaction(cursor, dialect, key, now, stale_before)
        return owned, stored_language(cursor, dialect, team_id, user_id)
    parameters = _claim_parameters(dialect, key, now, stale_before)
    cursor.execute(
        for_driver(_CLAIM_WITH_LANGUAGE, dialect),
        {**parameters, "team_id": team_id, "user_id": user_id},
    )
    owned, participant_id, language, slack_locale = cursor.fetchone()
    found = (
        None if participant_id is None else StoredLanguage(participant_id, language, slack_locale)
    )
    return bool(owned), found


def settle_interaction(cursor: Any, dialect: Dialect, key: str) -> None:
    """Mark ``key`` done (for a listener whose effect was not a database write)."""
    cursor.execute(for_driver(_SETTLE, dialect), {"key": key, "done": REQUEST_DONE})
