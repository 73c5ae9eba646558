"""Similar ideas on submission, and what the author chooses to do about them.

The author sees up to three similar ideas by others and chooses: join one as co-author (their
own idea is withdrawn into it), link the two as related, or keep them separate. Nothing is
merged without that choice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from matching.similar import SimilarityIndex
from models import Idea, IdeaCoauthor, IdeaLink, IdeaStatus
from models.queries import insert_ignoring_conflict
from services.errors import InvalidInput, NotAllowed, NotFound
from services.participants import SlackUser, ensure_participant

SUGGESTIONS = 3
MIN_SCORE = 0.2


@dataclass(frozen=True)
class Suggestion:
    idea: Idea
    score: float


class _IndexCache:
    """One index per database. A small pool is re-indexed whenever it changes; a large one
    when it is out of date by a tenth or five minutes, since rebuilding on every new idea
    would cost O(n) per submission (newer ideas wait for the next rebuild to be suggested).
    """

    MAX_AGE_SECONDS = 300.0
    MAX_GROWTH = 0.1
    ALWAYS_REBUILD_BELOW = 2000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[int, int, str], float, SimilarityIndex]] = {}

    def get(self, session: Session) -> SimilarityIndex:
        count, last_id, changed = session.execute(
            select(func.count(Idea.id), func.max(Idea.id), func.max(Idea.updated_at)).where(
                Idea.status == IdeaStatus.OPEN
            )
        ).one()
        signature = (count or 0, last_id or 0, str(changed))
        key = str(session.get_bind().url)
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(key)
        if cached:
            built, built_at, index = cached
            fresh = now - built_at < self.MAX_AGE_SECONDS
            if fresh and built == signature:
                return index
            large = built[0] >= self.ALWAYS_REBUILD_BELOW
            if fresh and large and abs(signature[0] - built[0]) <= built[0] * self.MAX_GROWTH:
                return index
        rows = session.execute(
            select(Idea.id, Idea.title, Idea.body).where(Idea.status == IdeaStatus.OPEN)
        ).all()
        index = SimilarityIndex((str(i), f"{title}. {body}") for i, title, body in rows)
        with self._lock:
            self._entries[key] = (signature, now, index)
        return index

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _IndexCache()


def suggestions_for(session: Session, idea_id: int, k: int = SUGGESTIONS) -> list[Suggestion]:
    """Open ideas by other people that resemble ``idea_id``, most similar first."""
    idea = session.get(Idea, idea_id)
    if idea is None or idea.status is not IdeaStatus.OPEN:
        return []
    index = _cache.get(session)
    found = index.search(f"{idea.title}. {idea.body}", k=k + 10, min_score=MIN_SCORE)
    ids = [int(hit.id) for hit in found if int(hit.id) != idea_id]
    scores = {int(hit.id): hit.score for hit in found}
    candidates = {
        other.id: other
        for other in session.scalars(
            select(Idea).options(joinedload(Idea.author)).where(Idea.id.in_(ids))
        )
        if other.author_id != idea.author_id and other.status is IdeaStatus.OPEN
    }
    return [Suggestion(candidates[i], scores[i]) for i in ids if i in candidates][:k]


def _pair(session: Session, user: SlackUser, own_id: int, other_id: int) -> tuple[Idea, Idea]:
    own = session.get(Idea, own_id, options=[joinedload(Idea.author)])
    other = session.get(Idea, other_id, options=[joinedload(Idea.author)])
    if own is None or other is None or other.status is not IdeaStatus.OPEN:
        raise NotFound("errors.idea_not_found")
    if (own.author.team_id, own.author.user_id) != (user.team_id, user.user_id):
        raise NotAllowed("errors.not_your_idea")
    if own.id == other.id or own.author_id == other.author_id:
        raise InvalidInput("errors.bad_request")
    return own, other


def join_as_coauthor(
    session: Session, user: SlackUser, own_id: int, other_id: int
) -> tuple[Idea, Idea]:
    """The author joins ``other`` as co-author; their own idea is withdrawn into it."""
    own, other = _pair(session, user, own_id, other_id)
    if own.status is not IdeaStatus.OPEN:
        raise NotFound("errors.idea_not_found")
    me = ensure_participant(session, user)
    insert_ignoring_conflict(
        session,
        IdeaCoauthor.__table__,  # type: ignore[arg-type]
        {"idea_id": other.id, "participant_id": me.id, "joined_from_id": own.id},
    )
    own.status = IdeaStatus.WITHDRAWN
    return own, other


def link_related(
    session: Session, user: SlackUser, own_id: int, other_id: int
) -> tuple[Idea, Idea]:
    own, other = _pair(session, user, own_id, other_id)
    me = ensure_participant(session, user)
    first, second = sorted((own.id, other.id))
    insert_ignoring_conflict(
        session,
        IdeaLink.__table__,  # type: ignore[arg-type]
        {"idea_id": first, "related_id": second, "created_by": me.id},
    )
    return own, other


def coauthor_user_ids(session: Session, idea_ids: list[int]) -> dict[int, list[str]]:
    from models import Participant

    rows = session.execute(
        select(IdeaCoauthor.idea_id, Participant.user_id)
        .join(Participant, Participant.id == IdeaCoauthor.participant_id)
        .where(IdeaCoauthor.idea_id.in_(idea_ids), Participant.forgotten_at.is_(None))
        .order_by(IdeaCoauthor.id)
    )
    found: dict[int, list[str]] = {}
    for idea_id, user_id in rows:
        found.setdefault(idea_id, []).append(user_id)
    return found
