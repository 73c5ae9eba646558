"""The sender's language, read for nearly every request (``handlers/listening.py``): one
driver statement with the two columns it needs, not an ORM session and a whole row.

On PostgreSQL the statement runs without BEGIN and COMMIT
(``Database.in_driver_transaction(single_statement=True)``): one round trip, not three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from models.driver_sql import for_driver

_FIND = (
    "SELECT id, language, slack_locale FROM participants"
    " WHERE team_id = :team_id AND user_id = :user_id"
)


@dataclass(frozen=True)
class StoredLanguage:
    """What a participant's row says about their language (either may be empty)."""

    participant_id: int
    language: str | None
    slack_locale: str | None


def stored_language(
    cursor: Any, dialect: Dialect, team_id: str, user_id: str
) -> StoredLanguage | None:
    """The language columns of the participant ``team_id``/``user_id``; None when there is no
    such row (a forgotten person's row no longer carries their Slack id)."""
    cursor.execute(for_driver(_FIND, dialect), {"team_id": team_id, "user_id": user_id})
    row = cursor.fetchone()
    return None if row is None else StoredLanguage(*row)
