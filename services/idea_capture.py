"""``/idea TEXT``: the idea stored before the ack, in one short transaction.

This is the hottest path of the bot, so it does the minimum before the ack: claim the request
(Slack retries), find or create the author, store the idea and queue its similar-idea
suggestions, in one statement on PostgreSQL (``models/capture.py``). The suggestions are
computed later, in batches, by one sweeper for the whole deployment
(``services/suggestion_sweep.py``), never by the request that stored the idea.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models import Idea, IdeaKind, IdeaStatus, PendingSuggestion
from models.base import utcnow
from models.capture import Captured, NewIdea, capture_idea, single_statement
from models.db import Database
from services.ideas import IdeaInput, Submission, search_text, submit_idea, validate
from services.participants import SlackUser, known_language


@dataclass(frozen=True)
class SuggestionsTo:
    """Where an idea's suggestions will be sent: a slash command's response URL (valid 30
    minutes), or the channel a form was opened in; neither means the author's DM."""

    reply_url: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True)
class Shared:
    submission: Submission
    author_id: int | None
    # The author's language (profile, else Slack locale); None when the row knows neither.
    language: str | None


class _AlreadyHandled(Exception):
    """The request key was claimed before: the statement's idea must be rolled back."""


def share_idea(
    database: Database,
    user: SlackUser,
    kind: IdeaKind,
    text: str,
    request_key: str,
    suggestions_to: SuggestionsTo,
    default_language: str,
) -> Shared:
    """Store ``text`` once per ``request_key``; a retried delivery gets the earlier idea."""
    data = validate(IdeaInput(kind=kind, body=text))
    # What the confirmation shows; stored by Core statements, so never added to a session.
    idea = Idea(kind=data.kind, title=data.title or "", body=data.body, status=IdeaStatus.OPEN)
    new = NewIdea(
        request_key=request_key,
        team_id=user.team_id,
        user_id=user.user_id,
        user_name=user.name,
        kind=data.kind.value,
        title=idea.title,
        body=idea.body,
        search_text=search_text(idea),
        reply_url=suggestions_to.reply_url,
        channel_id=suggestions_to.channel_id,
        now=utcnow(),
    )

    dialect = database.engine.dialect

    def capture(cursor: Any) -> Captured:
        captured = capture_idea(cursor, dialect, new)
        if captured.author_id is None:
            # The author's first two requests raced and the other created the row: it is
            # committed now, so the same statement finds it.
            captured = capture_idea(cursor, dialect, new)
        if captured.duplicate:
            raise _AlreadyHandled
        return captured

    try:
        captured = database.in_driver_transaction(
            capture, single_statement=single_statement(dialect)
        )
    except _AlreadyHandled:
        with database.session() as session:
            earlier = submit_idea(session, user, data, request_key=request_key)
            author = earlier.idea.author
            language = known_language(author.language, author.slack_locale, default_language)
            return Shared(earlier, author.id, language)
    idea.id = captured.idea_id  # type: ignore[assignment]
    language = known_language(captured.language, captured.slack_locale, default_language)
    return Shared(Submission(idea=idea, duplicate=False), captured.author_id, language)


def queue_suggestions(session: Session, idea_id: int, to: SuggestionsTo) -> None:
    """Ask the sweeper for ``idea_id``'s suggestions (for ideas stored by ``submit_idea``)."""
    session.add(
        PendingSuggestion(
            idea_id=idea_id, reply_url=to.reply_url, channel_id=to.channel_id, created_at=utcnow()
        )
    )
