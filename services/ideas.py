"""Ideas and needs: submit, list and search, edit, withdraw."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.orm import Session, defer, joinedload

from matching.similar import query_stems, search_terms
from models import Idea, IdeaCoauthor, IdeaKind, IdeaStatus, Participant, Theme
from models.queries import claim_request, request_result, set_request_result
from services.answer_keys import AnswerKeys
from services.errors import InvalidInput, NotAllowed, NotFound
from services.participants import SlackUser, ensure_participant
from services.text import RAW_SLACK, clean_text
from services.themes import theme_of

logger = logging.getLogger(__name__)

# What the server's secret signs here (one key per purpose, derived from the one secret).
_SOURCE_PURPOSE = b"idea form: source link"

MAX_BODY = 3000
MAX_TITLE = 150
MAX_THEME = 80
DERIVED_TITLE = 80
PAGE_SIZE = 5
MAX_QUERY = 200


@dataclass(frozen=True)
class IdeaInput:
    kind: IdeaKind
    body: str
    title: str | None = None
    theme: str | None = None
    theme_id: int | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class Submission:
    idea: Idea
    duplicate: bool


@dataclass(frozen=True)
class IdeaPage:
    ideas: list[Idea]
    page: int
    pages: int
    total: int
    query: str
    # Those who joined each idea as co-authors (or were imported as its co-authors).
    coauthors: dict[int, list[Participant]] = field(default_factory=dict)


def derive_title(body: str) -> str:
    """The first line of the body, cut at a word boundary."""
    first = body.strip().splitlines()[0].strip()
    if len(first) <= DERIVED_TITLE:
        return first
    cut = first[:DERIVED_TITLE].rsplit(" ", 1)[0] or first[:DERIVED_TITLE]
    return cut.rstrip(" ,.;:") + "…"


def validate(data: IdeaInput, *, max_body: int | None = MAX_BODY) -> IdeaInput:
    """Normalized input, or InvalidInput naming the field and the limit.

    ``max_body=None``: imported bodies are kept whole (only what Slack shows is cut).
    """
    body = clean_text(data.body, field="body", limit=max_body)
    if not body:
        raise InvalidInput("errors.empty", field="body", limit=max_body or MAX_BODY)
    title = clean_text(data.title, field="title", limit=MAX_TITLE, one_line=True)
    title = title or derive_title(body)
    theme = clean_text(data.theme, field="theme", limit=MAX_THEME, one_line=True) or None
    return replace(data, kind=IdeaKind(data.kind), body=body, title=title, theme=theme)


def search_text(idea: Idea) -> str:
    """The text as written, then its stems (the engine's analysis), each between spaces."""
    parts = (idea.title, idea.body, idea.theme or "")
    written = unicodedata.normalize("NFC", " ".join(parts)).casefold()
    return f"{written}\n {' '.join(search_terms(written))} "


def submit_idea(
    session: Session, user: SlackUser, data: IdeaInput, request_key: str | None = None
) -> Submission:
    """Store an idea or need once, even when Slack delivers the same request again."""
    data = validate(data)
    if request_key and not claim_request(session, request_key):
        earlier = request_result(session, request_key)
        idea = session.get(Idea, int(earlier)) if earlier else None
        if idea is None:
            raise NotFound("errors.already_handled")
        return Submission(idea=idea, duplicate=True)
    author = ensure_participant(session, user)
    challenge = _open_theme(session, user.team_id, data.theme_id)
    idea = Idea(
        author=author,
        kind=data.kind,
        title=data.title or "",
        body=data.body,
        theme=data.theme,
        challenge=challenge,
        source_url=safe_link(data.source_url),
        status=IdeaStatus.OPEN,
    )
    idea.search_text = search_text(idea)
    session.add(idea)
    session.flush()
    if request_key:
        set_request_result(session, request_key, str(idea.id))
    return Submission(idea=idea, duplicate=False)


def _source_key(answer_key: bytes) -> bytes:
    """The key that signs the link a "Save as idea" form carries in its ``private_metadata``.

    Slack hands ``private_metadata`` back as the client sends it, so a crafted submission could
    carry any link, which everyone would then see on the idea. The signature is made with the
    server's secret (never sent to Slack, unlike the signing secret a hostile client may hold).
    """
    return hmac.new(answer_key, _SOURCE_PURPOSE, hashlib.sha256).digest()


def _signature(answer_key: bytes, user: SlackUser, url: str) -> str:
    message = f"{user.team_id}:{user.user_id}:{url}".encode()
    return hmac.new(_source_key(answer_key), message, hashlib.sha256).hexdigest()


def sign_source(keys: AnswerKeys, user: SlackUser, url: str) -> str:
    return _signature(keys.current, user, url)


def signed_source(keys: AnswerKeys, user: SlackUser, url: object, signature: object) -> str | None:
    """``url`` if the bot itself signed it for ``user``, else None (a form opened before the
    answer key changed was signed with an earlier key)."""
    if not isinstance(url, str) or not isinstance(signature, str):
        return None
    for key in keys.all:
        if hmac.compare_digest(_signature(key, user, url), signature):
            return url
    return None


def safe_link(url: str | None) -> str | None:
    """An https link that cannot break out of Slack's <url|label> syntax, else None."""
    if not url or len(url) > 500 or not url.startswith("https://"):
        return None
    if any(char in url for char in "<>| \n"):
        return None
    return url


def _open_theme(session: Session, team_id: str, theme_id: int | None) -> Theme | None:
    """The theme to attach: the workspace's, accepting ideas today (a crafted form cannot
    pick another)."""
    if theme_id is None:
        return None
    theme = theme_of(session, team_id, theme_id)
    if theme is None or not theme.is_open_on(date.today()):
        raise InvalidInput("themes.not_open", field="theme_id")
    return theme


def idea_of(session: Session, team_id: str, idea_id: int) -> Idea | None:
    """Idea ``idea_id`` (with its author) if it belongs to workspace ``team_id``: another
    workspace's idea is answered as one that does not exist, and logged (only a crafted
    request names one: no list, button or form of this workspace shows it)."""
    idea = session.get(Idea, idea_id, options=[joinedload(Idea.author)])
    if idea is not None and idea.author.team_id != team_id:
        logger.warning("workspace %s asked for idea #%s of another workspace", team_id, idea_id)
        return None
    return idea


def of_team(team_id: str) -> ColumnElement[bool]:
    """A condition on ``Idea``: written in workspace ``team_id`` (ideas belong to their
    author's workspace), in the same statement as the rest of the query."""
    return Idea.author_id.in_(select(Participant.id).where(Participant.team_id == team_id))


def _own_idea(session: Session, user: SlackUser, idea_id: int) -> Idea:
    idea = idea_of(session, user.team_id, idea_id)
    if idea is None or idea.status is IdeaStatus.WITHDRAWN:
        raise NotFound("errors.idea_not_found")
    if (idea.author.team_id, idea.author.user_id) != (user.team_id, user.user_id):
        raise NotAllowed("errors.not_your_idea")
    return idea


def idea_for_editing(session: Session, user: SlackUser, idea_id: int) -> Idea:
    return _own_idea(session, user, idea_id)


def update_idea(session: Session, user: SlackUser, idea_id: int, data: IdeaInput) -> Idea:
    data = validate(data)
    idea = _own_idea(session, user, idea_id)
    idea.kind = data.kind
    idea.title = data.title or ""
    idea.body = data.body
    idea.theme = data.theme
    if data.theme_id != idea.theme_id:  # keeping a theme that has closed since is fine
        idea.challenge = _open_theme(session, user.team_id, data.theme_id)
    idea.search_text = search_text(idea)
    return idea


def withdraw_idea(session: Session, user: SlackUser, idea_id: int) -> Idea:
    idea = _own_idea(session, user, idea_id)
    idea.status = IdeaStatus.WITHDRAWN
    return idea


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _word_condition(word: str):  # type: ignore[no-untyped-def]
    """The word as written, or one of its stems among the stored stems (pyörä finds pyöriä)."""
    stems = [stem for stem in query_stems(word) if stem != word]
    return or_(
        Idea.search_text.like(_like_pattern(word), escape="\\"),
        *(Idea.search_text.like(f"% {_like_pattern(stem)[1:-1]} %", escape="\\") for stem in stems),
    )


def list_ideas(
    session: Session,
    team_id: str,
    query: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> IdeaPage:
    """Workspace ``team_id``'s open ideas and needs, newest first; every word of ``query``
    must occur, in any form.

    A page past the end shows the last page. The page, the count of all that match and
    whether each idea has co-authors come in one statement (``count(*) OVER ()``); the
    co-authors are asked for only when an idea on the page has some, and the count only
    when the page asked for is past the end.
    """
    query = clean_text((query or "")[: MAX_QUERY * RAW_SLACK])[:MAX_QUERY]
    words = unicodedata.normalize("NFC", query).casefold().split()
    conditions = [Idea.status == IdeaStatus.OPEN, of_team(team_id)]
    conditions += [_word_condition(word) for word in words]
    page = max(1, page)
    rows = _page_of(session, conditions, page, page_size)
    if rows:
        total = rows[0].total
    elif page > 1:
        total = session.scalar(select(func.count()).select_from(Idea).where(*conditions)) or 0
        page = max(1, math.ceil(total / page_size))
        rows = _page_of(session, conditions, page, page_size) if total else []
        total = rows[0].total if rows else 0
    else:
        total = 0
    with_coauthors = [row.Idea.id for row in rows if row.has_coauthors]
    return IdeaPage(
        ideas=[row.Idea for row in rows],
        page=page,
        pages=max(1, math.ceil(total / page_size)),
        total=total,
        query=query,
        coauthors=coauthors_of(session, with_coauthors) if with_coauthors else {},
    )


def _page_of(session: Session, conditions: list[Any], page: int, page_size: int) -> list[Row[Any]]:
    """Page ``page`` of the open ideas matching ``conditions``: each row the idea (with its
    author and theme), the count of all that match, and whether it has co-authors."""
    has_coauthors = (
        select(IdeaCoauthor.id)
        .where(IdeaCoauthor.idea_id == Idea.id)
        .exists()
        .label("has_coauthors")
    )
    return list(
        session.execute(
            select(Idea, func.count().over().label("total"), has_coauthors)
            .options(joinedload(Idea.author), joinedload(Idea.challenge), defer(Idea.search_text))
            .where(*conditions)
            .order_by(Idea.created_at.desc(), Idea.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )


def coauthors_of(session: Session, idea_ids: list[int]) -> dict[int, list[Participant]]:
    """Those who joined each idea as co-authors (imported co-authors too), in joining order."""
    rows = session.execute(
        select(IdeaCoauthor.idea_id, Participant)
        .join(Participant, Participant.id == IdeaCoauthor.participant_id)
        .where(IdeaCoauthor.idea_id.in_(idea_ids), Participant.forgotten_at.is_(None))
        .order_by(IdeaCoauthor.id)
    )
    found: dict[int, list[Participant]] = {}
    for idea_id, participant in rows:
        found.setdefault(idea_id, []).append(participant)
    return found
