"""The claim of a click or form submission, one driver statement (``models/request_claims.py``):
a new key is claimed once, a pending claim is taken over only when stale, a settled one
never, and copies in flight at once get one claim."""

from __future__ import annotations

import threading
from datetime import timedelta

from models import Participant
from models.base import utcnow
from models.db import Database
from models.languages import StoredLanguage
from models.request_claims import claim_interaction, claim_with_language, settle_interaction

LEASE = timedelta(seconds=30)


def claim(database: Database, key: str, *, later: timedelta = timedelta(0)) -> bool:
    dialect = database.engine.dialect
    now = utcnow() + later
    return database.in_driver_transaction(
        lambda cursor: claim_interaction(cursor, dialect, key, now, now - LEASE),
        single_statement=dialect.name == "postgresql",
    )


def settle(database: Database, key: str) -> None:
    dialect = database.engine.dialect
    database.in_driver_transaction(lambda cursor: settle_interaction(cursor, dialect, key))


def test_a_key_is_claimed_once_and_a_stale_pending_claim_taken_over_once(
    database: Database,
) -> None:
    assert claim(database, "block_actions:a")
    assert not claim(database, "block_actions:a")
    # Its attempt died before any effect: after the lease one later attempt takes it over.
    assert not claim(database, "block_actions:a", later=LEASE / 2)
    assert claim(database, "block_actions:a", later=LEASE * 2)
    assert not claim(database, "block_actions:a", later=LEASE * 2)


def test_a_settled_claim_is_never_taken_over(database: Database) -> None:
    assert claim(database, "view_submission:b")
    settle(database, "view_submission:b")
    assert not claim(database, "view_submission:b", later=LEASE * 10)


def test_copies_in_flight_at_once_get_one_claim(database: Database) -> None:
    start = threading.Barrier(8)
    won: list[bool] = []

    def send() -> None:
        start.wait()
        won.append(claim(database, "block_actions:race"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(won) == [False] * 7 + [True]


def test_a_claim_with_the_senders_language_claims_as_the_claim_alone(database: Database) -> None:
    """The sender's row comes back whether the key was claimed now or before; no row, None."""
    dialect = database.engine.dialect

    def claim_as(
        key: str, user_id: str, later: timedelta = timedelta(0)
    ) -> tuple[bool, StoredLanguage | None]:
        now = utcnow() + later
        return database.in_driver_transaction(
            lambda cursor: claim_with_language(
                cursor, dialect, key, now, now - LEASE, ("T1", user_id)
            ),
            single_statement=dialect.name == "postgresql",
        )

    with database.session() as session:
        session.add(Participant(team_id="T1", user_id="UROW", language="fi"))
    owned, row = claim_as("block_actions:b", "UROW")
    assert owned and row is not None and (row.language, row.slack_locale) == ("fi", None)
    again, same = claim_as("block_actions:b", "UROW")
    assert not again and same == row
    assert not claim_as("block_actions:b", "UROW", later=LEASE / 2)[0]
    assert claim_as("block_actions:b", "UROW", later=LEASE * 2)[0]
    assert claim_as("block_actions:c", "UNOBODY") == (True, None)
