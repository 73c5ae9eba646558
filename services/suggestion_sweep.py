"""Similar-idea suggestions for the whole deployment: one sweeper, in batches.

``/idea`` only queues its idea (a ``pending_suggestions`` row in its own transaction). One
elected process sweeps the queue every fraction of a second: it takes up to ``BATCH`` rows,
searches the index of each workspace in the batch once for all of its rows (one query, one
transform, one matrix product per workspace), sends what it found and deletes the rows. So no
request worker spends CPU on suggestions, each workspace's index exists once per deployment
(one workspace never sees another's ideas), and a flood costs a few batches instead of one
search per idea.

Rows are claimed (``claimed_until``) before sending: a second sweeper, which the election
should prevent but a stalled leader can briefly allow, skips them; if the sweeper dies after
the claim, another takes the rows once the claim has passed. Sending twice is then possible,
never losing one. Rows older than a response URL's life (30 minutes) are dropped unsent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from i18n import DEFAULT_LANGUAGE
from models import Idea, IdeaStatus, Participant, PendingSuggestion
from models.base import utcnow
from models.db import Database
from services import similar_ideas
from services.participants import language_of
from services.similar_ideas import Suggestion, Wanted

logger = logging.getLogger(__name__)

BATCH = 200
CLAIM_FOR = timedelta(seconds=60)
# A response URL works for 30 minutes; a suggestion later than that is dropped, not sent.
GIVE_UP_AFTER = timedelta(minutes=29)


@dataclass(frozen=True)
class Due:
    """An idea whose suggestions are due, and where they go."""

    idea_id: int
    author_id: int
    author_team_id: str
    author_user_id: str
    language: str
    reply_url: str | None
    channel_id: str | None
    text: str


class SuggestionRenderer(Protocol):
    """Block Kit for the suggestions (implemented in ``handlers/``)."""

    def similar_ideas(
        self, idea_id: int, found: list[Suggestion], language: str
    ) -> dict[str, Any]: ...


# Sends one rendered message to where ``Due`` says; raises if it could not.
Deliver = Callable[[Due, dict[str, Any]], None]


@dataclass(frozen=True)
class SweepReport:
    taken: int = 0
    sent: int = 0
    nothing_similar: int = 0
    failed: int = 0
    expired: int = 0


def sweep_once(
    database: Database,
    renderer: SuggestionRenderer,
    deliver: Deliver,
    senders: Executor,
    *,
    batch: int = BATCH,
    default_language: str = DEFAULT_LANGUAGE,
) -> SweepReport:
    """One batch: claim, search once, send (on ``senders``, in parallel), delete."""
    now = utcnow()
    with database.session() as session:
        expired = _drop_expired(session, now)
        claimed, due = _claim(session, now, batch, default_language)
    if not claimed:
        return SweepReport(expired=expired)
    wanted = [Wanted(d.idea_id, d.author_id, d.text, d.author_team_id) for d in due]
    hits = similar_ideas.search_many(database, wanted)
    with database.session() as session:
        found = similar_ideas.suggestions_many(session, wanted, hits)
        # Only pairs the bot suggested may be joined or linked: remember them with the send.
        similar_ideas.record_offered(session, found)
    # Rendered after the session (the ideas are loaded, authors with them): on SQLite a
    # session holds the process's database lock, which the acks wait for.
    messages = {
        d.idea_id: renderer.similar_ideas(d.idea_id, found[d.idea_id], d.language)
        for d in due
        if d.idea_id in found
    }
    futures = {
        d.idea_id: senders.submit(deliver, d, messages[d.idea_id])
        for d in due
        if d.idea_id in messages
    }
    # Sent when futures are done; the rows go in any case (a courtesy is not retried).
    failed = 0
    for idea_id, future in futures.items():
        error = future.exception()
        if error is not None:
            # A courtesy: the idea is saved, and a failed suggestion is not tried again.
            failed += 1
            logger.warning("similar ideas for idea %s not sent: %s", idea_id, error)
    with database.session() as session:
        session.execute(
            delete(PendingSuggestion)
            .where(PendingSuggestion.idea_id.in_(claimed))
            .execution_options(synchronize_session=False)
        )
    return SweepReport(
        taken=len(claimed),
        sent=len(futures) - failed,
        nothing_similar=len(claimed) - len(futures),
        failed=failed,
        expired=expired,
    )


def _drop_expired(session: Session, now: datetime) -> int:
    result = session.execute(
        delete(PendingSuggestion)
        .where(PendingSuggestion.created_at < now - GIVE_UP_AFTER)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount:
        logger.warning("dropped %s similar-idea suggestions older than 29 minutes", result.rowcount)
    return int(result.rowcount or 0)


def _claim(
    session: Session, now: datetime, batch: int, default_language: str
) -> tuple[list[int], list[Due]]:
    """Take up to ``batch`` unclaimed (or abandoned) rows, oldest first: their ids, and what
    the ones still worth suggesting for need."""
    free = or_(PendingSuggestion.claimed_until.is_(None), PendingSuggestion.claimed_until < now)
    ids = list(
        session.scalars(
            select(PendingSuggestion.idea_id)
            .where(free)
            .order_by(PendingSuggestion.idea_id)
            .limit(batch)
        )
    )
    if not ids:
        return [], []
    claimed = session.execute(
        update(PendingSuggestion)
        .where(PendingSuggestion.idea_id.in_(ids), free)
        .values(claimed_until=now + CLAIM_FOR)
        .returning(PendingSuggestion.idea_id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in claimed]
    rows = session.execute(
        select(PendingSuggestion, Idea, Participant)
        .join(Idea, Idea.id == PendingSuggestion.idea_id)
        .join(Participant, Participant.id == Idea.author_id)
        .where(PendingSuggestion.idea_id.in_(ids))
        .order_by(PendingSuggestion.idea_id)
    ).all()
    return ids, [
        Due(
            idea_id=idea.id,
            author_id=author.id,
            author_team_id=author.team_id,
            author_user_id=author.user_id,
            language=language_of(author, default_language),
            reply_url=pending.reply_url,
            channel_id=pending.channel_id,
            text=f"{idea.title}. {idea.body}",
        )
        for pending, idea, author in rows
        # Withdrawn, or its author forgotten, since it was queued: nothing to suggest.
        if idea.status is IdeaStatus.OPEN and author.forgotten_at is None
    ]
