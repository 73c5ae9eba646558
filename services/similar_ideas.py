"""Similar ideas on submission, and what the author chooses to do about them.

The author sees up to three similar ideas by others and chooses: join one as co-author (their
own idea is withdrawn into it), link the two as related, or keep them separate. Nothing is
merged without that choice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from matching.similar import SimilarityIndex
from models import Idea, IdeaCoauthor, IdeaLink, IdeaStatus, SimilarSuggestion
from models.base import utcnow
from models.db import Database
from models.queries import insert_ignoring_conflict, insert_many_ignoring_conflict
from services.errors import InvalidInput, NotAllowed, NotFound
from services.ideas import idea_of, of_team
from services.participants import SlackUser, ensure_participant

SUGGESTIONS = 3
MIN_SCORE = 0.2


@dataclass(frozen=True)
class Suggestion:
    idea: Idea
    score: float


@dataclass
class _Entry:
    index: SimilarityIndex
    fitted_on: int  # how many ideas the weights were fitted on
    last_id: int  # the newest idea in the index
    last_created: str  # and when it was created: a changed value means the table was rewritten
    built_at: float


@dataclass(frozen=True)
class _Plan:
    rows: list[tuple[str, str]]  # (id, text) of the ideas to add, or of all for a refit
    extend: bool  # add ``rows`` to the index as it is; else refit on them
    last_created: str  # ``_IndexCache._created`` of the last of ``rows``


class _IndexCache:
    """One index per workspace of each database, kept current cheaply.

    Per workspace, not one for all filtered afterwards: a search keeps the best few hits, and
    in a shared index another workspace's many similar ideas would push this workspace's out
    of them (and its words would weigh in the other's TF-IDF). Each index is also smaller:
    refits cost the workspace's ideas, not the deployment's.

    New ideas are added with the weights fitted so far (a transform, milliseconds); the index
    is refitted from scratch only when the pool has grown by a fifth or ten minutes have
    passed, since refitting on every submission costs O(n) each time and competes with acks.
    Withdrawn or edited ideas are filtered or refreshed at the next refit; suggestions are
    checked against the database before anyone sees them.
    """

    MAX_AGE_SECONDS = 600.0
    REFIT_GROWTH = 0.2
    # Below this many ideas a refit takes milliseconds, and words seen only in newer ideas
    # would otherwise count for nothing (an index fitted on the first idea knows its words only).
    ALWAYS_REFIT_BELOW = 200

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    @staticmethod
    def _open_ideas(session: Session, team_id: str, after_id: int = 0) -> list[tuple[str, str]]:
        rows = session.execute(
            select(Idea.id, Idea.title, Idea.body)
            .where(Idea.status == IdeaStatus.OPEN, Idea.id > after_id, of_team(team_id))
            .order_by(Idea.id)
        ).all()
        return [(str(i), f"{title}. {body}") for i, title, body in rows]

    def index(self, session: Session, team_id: str) -> SimilarityIndex:
        """The index of workspace ``team_id``'s open ideas in ``session``'s database, extended
        or refitted first.

        The caller holds the session, so the database comes first and this cache's lock second,
        for every caller (a request and the sweeper alike): on SQLite a session holds the
        process's database lock, and two callers taking the two in different orders deadlocked
        (345cc40).
        """
        key = (str(session.get_bind().engine.url), team_id)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            built = self._built(entry, self._plan(session, team_id, entry, now), now)
            self._entries[key] = built
            return built.index

    def current(self, database: Database, team_id: str) -> SimilarityIndex:
        """As ``index``, for the similar-idea sweeper, which has no session of its own.

        What the index needs is read in a short session; fitting or extending it (a refit of
        a few thousand texts takes a second) runs after it, outside the database and this
        cache's lock: on SQLite a session holds the process's database lock, and every ack of
        the process would wait for the fit.
        """
        key = (str(database.engine.url), team_id)  # the key ``index`` uses
        now = time.monotonic()
        with database.session() as session:
            # The database first, then this cache's lock: the order ``index`` takes them in.
            with self._lock:
                entry = self._entries.get(key)
            plan = self._plan(session, team_id, entry, now)
        built = self._built(entry, plan, now)
        with self._lock:
            self._entries[key] = built
        return built.index

    def _plan(self, session: Session, team_id: str, entry: _Entry | None, now: float) -> _Plan:
        """What to do with ``entry``: add the ideas newer than it, or refit on every open idea
        (it is too old, the table was rewritten, or the pool grew too much)."""
        fresh = (
            entry is not None
            and now - entry.built_at < self.MAX_AGE_SECONDS
            and self._created(session, entry.last_id) == entry.last_created
        )
        rows = self._open_ideas(session, team_id, entry.last_id if fresh and entry else 0)
        extend = fresh and entry is not None and self._extendable(entry, len(rows))
        if fresh and not extend:
            rows = self._open_ideas(session, team_id)
        return _Plan(rows, extend, self._created(session, int(rows[-1][0]) if rows else 0))

    @staticmethod
    def _built(entry: _Entry | None, plan: _Plan, now: float) -> _Entry:
        """``entry`` with ``plan``'s ideas added (in place, by transform), or a new fit."""
        if plan.extend and entry is not None:
            entry.index.extend(plan.rows)
            if not plan.rows:
                return entry
            return replace(entry, last_id=int(plan.rows[-1][0]), last_created=plan.last_created)
        last_id = int(plan.rows[-1][0]) if plan.rows else 0
        return _Entry(SimilarityIndex(plan.rows), len(plan.rows), last_id, plan.last_created, now)

    def _extendable(self, entry: _Entry, new: int) -> bool:
        """Whether ``new`` ideas may join by transform, or the index is refitted instead."""
        if new and entry.fitted_on < self.ALWAYS_REFIT_BELOW:
            return False
        grown = len(entry.index) + new - entry.fitted_on
        return grown < max(1.0, entry.fitted_on * self.REFIT_GROWTH)

    @staticmethod
    def _created(session: Session, idea_id: int) -> str:
        """What tells the newest indexed idea apart from another with its id: the database may
        have been emptied and refilled (ids start again; timestamps can share a second)."""
        row = session.execute(
            select(Idea.created_at, Idea.title, Idea.body).where(Idea.id == idea_id)
        ).first()
        return repr(tuple(row)) if row else "None"

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _IndexCache()


@dataclass(frozen=True)
class SimilarityQuery:
    """What to look for, read in one short transaction; ``run`` needs no database."""

    idea_id: int
    author_id: int
    team_id: str
    text: str
    index: SimilarityIndex

    def run(self, k: int = SUGGESTIONS) -> list[tuple[int, float]]:
        hits = self.index.search(self.text, k=k + 10, min_score=MIN_SCORE)
        return [(int(hit.id), hit.score) for hit in hits if int(hit.id) != self.idea_id]


def similarity_query(session: Session, idea_id: int) -> SimilarityQuery | None:
    """What to search for ``idea_id``, in the index of its author's workspace."""
    idea = session.get(Idea, idea_id, options=[joinedload(Idea.author)])
    if idea is None or idea.status is not IdeaStatus.OPEN:
        return None
    team_id = idea.author.team_id
    text = f"{idea.title}. {idea.body}"
    return SimilarityQuery(idea.id, idea.author_id, team_id, text, _cache.index(session, team_id))


def suggestions(
    session: Session, query: SimilarityQuery, hits: list[tuple[int, float]], k: int = SUGGESTIONS
) -> list[Suggestion]:
    """The open ideas among ``hits`` written by someone else in the same workspace, most
    similar first."""
    wanted = [Wanted(query.idea_id, query.author_id, query.text, query.team_id)]
    return suggestions_many(session, wanted, {query.idea_id: hits}, k).get(query.idea_id, [])


def record_offered(session: Session, offers: dict[int, list[Suggestion]]) -> None:
    """Remember what is about to be shown to the author of each idea (``offers``: idea id ->
    what it is offered): the choices they may make, and no others. One batched statement."""
    now = utcnow()
    insert_many_ignoring_conflict(
        session,
        SimilarSuggestion.__table__,  # type: ignore[arg-type]
        [
            {"idea_id": idea_id, "suggested_id": suggestion.idea.id, "created_at": now}
            for idea_id, offered in offers.items()
            for suggestion in offered
        ],
    )


def suggestions_for(session: Session, idea_id: int, k: int = SUGGESTIONS) -> list[Suggestion]:
    """Open ideas by other people that resemble ``idea_id``, most similar first."""
    query = similarity_query(session, idea_id)
    return suggestions(session, query, query.run(k), k) if query else []


@dataclass(frozen=True)
class Wanted:
    """An idea that wants suggestions: its text, and whose it is (their own are left out,
    and so is every other workspace's)."""

    idea_id: int
    author_id: int
    text: str
    team_id: str


def search_many(database: Database, wanted: list[Wanted]) -> dict[int, list[tuple[int, float]]]:
    """Hits for each wanted idea (id, score; best first), from one search of its workspace's
    index per workspace in the batch: one transform, one product each. Reads in short
    transactions; computes outside them."""
    by_team: dict[str, list[Wanted]] = {}
    for w in wanted:
        by_team.setdefault(w.team_id, []).append(w)
    found: dict[int, list[tuple[int, float]]] = {}
    for team_id, of_one in by_team.items():
        index = _cache.current(database, team_id)
        texts = [w.text for w in of_one]
        results = index.search_many(texts, k=SUGGESTIONS + 10, min_score=MIN_SCORE)
        for w, hits in zip(of_one, results, strict=True):
            found[w.idea_id] = [
                (int(hit.id), hit.score) for hit in hits if int(hit.id) != w.idea_id
            ]
    return found


def suggestions_many(
    session: Session,
    wanted: list[Wanted],
    hits: dict[int, list[tuple[int, float]]],
    k: int = SUGGESTIONS,
) -> dict[int, list[Suggestion]]:
    """For each wanted idea, the open ideas among its hits written by someone else of its
    workspace who was not forgotten (one query for the whole batch); ideas without any are
    left out. The workspace is checked here too: the index is the cache's, this is the
    database's word."""
    every = {idea_id for found in hits.values() for idea_id, _ in found}
    candidates = {
        other.id: other
        for other in session.scalars(
            select(Idea).options(joinedload(Idea.author)).where(Idea.id.in_(every))
        )
        if other.status is IdeaStatus.OPEN and other.author.forgotten_at is None
    }
    chosen: dict[int, list[Suggestion]] = {}
    for w in wanted:
        found = [
            Suggestion(candidates[i], score)
            for i, score in hits.get(w.idea_id, [])
            if i in candidates
            and candidates[i].author_id != w.author_id
            and candidates[i].author.team_id == w.team_id
        ][:k]
        if found:
            chosen[w.idea_id] = found
    return chosen


def _pair(session: Session, user: SlackUser, own_id: int, other_id: int) -> tuple[Idea, Idea]:
    # Another workspace's idea, on either side, is one that does not exist (and is logged).
    own = idea_of(session, user.team_id, own_id)
    other = idea_of(session, user.team_id, other_id)
    if own is None or other is None or other.status is not IdeaStatus.OPEN:
        raise NotFound("errors.idea_not_found")
    if (own.author.team_id, own.author.user_id) != (user.team_id, user.user_id):
        raise NotAllowed("errors.not_your_idea")
    if own.id == other.id or own.author_id == other.author_id:
        raise InvalidInput("errors.bad_request")
    offered = session.scalar(
        select(SimilarSuggestion.id).where(
            SimilarSuggestion.idea_id == own.id, SimilarSuggestion.suggested_id == other.id
        )
    )
    if offered is None:
        # A click on a pair the bot never suggested to this author: made by hand.
        raise NotAllowed("errors.bad_request")
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
