"""Exactly-once effects for form submissions and button clicks, in one place.

Slack resends, people double-click, and a replaying proxy can send a signed request again. Each
``view_submission`` is keyed on its view's ``id`` and ``hash``, each ``block_actions`` on its
``container`` and ``action_ts`` (what stays the same when the same request arrives twice). The
key is claimed in ``handled_requests`` before the listener runs; a request whose key is claimed
already gets a harmless ack and has no second effect.

Why a claim that is committed first, and settled with the effect:

- The claim is inserted, as *pending*, in a transaction of its own before the listener runs.
  Committed, it stops a concurrent copy of the request at once (a unique key, on both
  backends), even for listeners whose effect is work after the ack (the match form's preview).
- The first write transaction the listener commits marks the claim *done* inside that same
  transaction (a ``before_commit`` hook, active only while a claimed listener runs in this
  thread). So the claim is done exactly when an effect is committed: never one without the
  other, even if the process dies between two statements.
- If the listener fails, or answers a form with ``errors`` (nothing happened; the person will
  correct the form and send the same view again), a claim still pending is released, so the
  request can be tried again. A listener that returns with no database effect (its effect is
  work after the ack) marks its claim done when it returns.
- A claim left pending by a process that died before any effect is taken over after ``LEASE``:
  acks are due in 3 s, so no living attempt is that slow.

Work after the ack runs on other threads and is not part of the claim: it was started once,
by the one attempt that owned the claim.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import BoltResponse
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from models import request_claims
from models.base import utcnow
from models.db import Database
from models.languages import StoredLanguage
from models.queries import release_interaction, settle_interaction
from services.participants import SlackUser

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
KEYED_TYPES = ("view_submission", "block_actions")


@dataclass
class Claim:
    key: str
    # Another attempt holds the key, or settled it: this one only acks.
    replayed: bool = False
    settled: bool = False
    # The sender's language columns, when asked for with the claim (None: no row).
    sender_read: bool = False
    sender_row: StoredLanguage | None = None


_acting: ContextVar[Claim | None] = ContextVar("interaction_claim", default=None)


def interaction_key(body: dict[str, Any]) -> str | None:
    """The key of a form submission or a click (None for requests keyed elsewhere or not at all:
    ``/idea`` keys on its ``trigger_id`` itself; other commands and events have no effect to
    repeat). A crafted body without the usual parts is keyed on the whole of itself."""
    kind = body.get("type")
    if kind not in KEYED_TYPES:
        return None
    parts: list[Any] | None = None
    if kind == "view_submission":
        view = body.get("view")
        if isinstance(view, dict) and view.get("id"):
            parts = [view.get("id"), view.get("hash")]
    else:
        container, actions = body.get("container"), body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        if isinstance(first, dict) and first.get("action_ts") and container:
            parts = [container, first.get("action_ts")]
    if parts is None:
        parts = [body]
    canonical = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return f"{kind}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def claim(
    database: Database, body: dict[str, Any], sender: SlackUser | None = None
) -> Claim | None:
    """This request's claim (``replayed`` if another attempt holds or settled it), or None when
    the request is not keyed. Given ``sender``, their language columns are read with it."""
    key = interaction_key(body)
    if key is None:
        return None
    dialect = database.engine.dialect
    now = utcnow()
    # One driver statement, not an ORM session: every click and form submission pays it.
    if sender is None:
        owned = database.in_driver_transaction(
            lambda cursor: request_claims.claim_interaction(cursor, dialect, key, now, now - LEASE),
            single_statement=dialect.name == "postgresql",
        )
        return Claim(key, replayed=not owned)
    who = (sender.team_id, sender.user_id)
    owned, row = database.in_driver_transaction(
        lambda cursor: request_claims.claim_with_language(
            cursor, dialect, key, now, now - LEASE, who
        ),
        single_statement=dialect.name == "postgresql",
    )
    return Claim(key, replayed=not owned, sender_read=True, sender_row=row)


@contextmanager
def acting_on(claimed: Claim | None) -> Iterator[None]:
    """While the listener runs: its first write transaction settles ``claimed`` as well."""
    token = _acting.set(claimed)
    try:
        yield
    finally:
        _acting.reset(token)


def finish(database: Database, claimed: Claim | None, answer: BoltResponse | None) -> None:
    """After the listener returned: a form sent back with errors had no effect (release);
    anything else counts as done."""
    if claimed is None or claimed.settled or claimed.replayed:
        return
    if _is_form_errors(answer):
        abandon(database, claimed)
        return
    _settle_alone(database, claimed)


def abandon(database: Database, claimed: Claim | None) -> None:
    """After the listener failed: a claim with no committed effect is released for a retry."""
    if claimed is None or claimed.settled or claimed.replayed:
        return
    try:
        with database.session() as session:
            release_interaction(session, claimed.key)
    except Exception:
        # Taken over after the lease instead: the retry waits, nothing is done twice.
        logger.exception("could not release the claim of a failed request")


def _settle_alone(database: Database, claimed: Claim) -> None:
    dialect = database.engine.dialect
    try:
        database.in_driver_transaction(
            lambda cursor: request_claims.settle_interaction(cursor, dialect, claimed.key),
            single_statement=dialect.name == "postgresql",
        )
        claimed.settled = True
    except Exception:
        # Said after the ack: nothing may rise. The claim stays pending until its lease ends.
        logger.exception("could not mark a handled request done")


def _is_form_errors(answer: BoltResponse | None) -> bool:
    if answer is None or not answer.body.startswith("{"):
        return False
    try:
        return json.loads(answer.body).get("response_action") == "errors"
    except ValueError:
        return False


# -- the hook: the first write of a claimed listener settles its claim ----------------------------
def _wrote(session: Session) -> bool:
    return bool(
        session.info.get("wrote")
        or session.new
        or session.deleted
        or any(session.is_modified(instance) for instance in session.dirty)
    )


def _note_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    if _acting.get() is not None and _wrote(session):
        session.info["wrote"] = True


def _note_statement(state: ORMExecuteState) -> None:
    if _acting.get() is not None and (state.is_insert or state.is_update or state.is_delete):
        state.session.info["wrote"] = True


def _settle_with_effect(session: Session) -> None:
    claimed = _acting.get()
    if claimed is None or claimed.settled or not _wrote(session):
        return
    settle_interaction(session, claimed.key)
    session.info["settles"] = claimed


def _settled(session: Session) -> None:
    # Only once the effect's transaction committed: a rolled-back one leaves the claim pending,
    # to be released by ``abandon``.
    claimed = session.info.pop("settles", None)
    if claimed is not None:
        claimed.settled = True


def watch_effects() -> None:
    """Install the hooks once per process (they act only while a claimed listener runs)."""
    for name, hook in (
        ("before_flush", _note_flush),
        ("do_orm_execute", _note_statement),
        ("before_commit", _settle_with_effect),
        ("after_commit", _settled),
    ):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
