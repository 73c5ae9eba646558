"""Similar ideas after a submission: join as co-author, link as related, or keep separate."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks, ids
from handlers.context import Deps, read_json
from handlers.listening import Person, listener
from handlers.mrkdwn import escape_within
from i18n import t
from services import similar_ideas
from services.delivery import Recipient, deliver
from services.participants import SlackUser
from services.record_ids import carried_id

logger = logging.getLogger(__name__)

# join_as_coauthor or link_related: (session, user, own id, other id) -> (own, other).
Change = Callable[..., Any]


class SimilarIdeasRenderer:
    """Block Kit for the suggestion sweeper (``services.suggestion_sweep.SuggestionRenderer``)."""

    def similar_ideas(
        self, idea_id: int, found: list[similar_ideas.Suggestion], language: str
    ) -> dict[str, Any]:
        return blocks.similar_ideas_message(idea_id, found, language)


def _pair(action: dict[str, Any]) -> tuple[int, int]:
    return read_json(
        action.get("value"), lambda pair: (carried_id(pair["own"]), carried_id(pair["other"]))
    )


def _choose(
    deps: Deps, person: Person, action: dict[str, Any], change: Change
) -> tuple[dict[str, str], str | None, tuple[int, int], int]:
    """Apply the choice; the escaped titles (own and other), the other idea's author's Slack id
    (None for someone not in Slack: an imported author is never messaged), the pair, and the
    participant id of the one who chose."""
    own_id, other_id = _pair(action)
    with deps.database.session() as session:
        own, other = change(session, person.user, own_id, other_id)
        titles = {"own": escape_within(own.title, 150), "title": escape_within(other.title, 150)}
        author = None if other.author.is_offline else other.author.user_id
        return titles, author, (own.id, other.id), own.author_id


def join_similar(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """Join the similar idea as a co-author; its author hears of it in their language, once
    for the pair (``coauthor:{own}:{other}``), however often the click arrives."""
    ack()
    titles, other_author, (own_id, other_id), joiner = _choose(
        deps, person, action, similar_ideas.join_as_coauthor
    )
    language = person.language
    respond(replace_original=True, **blocks.notice(t("ideas.joined", language, **titles)))
    if other_author is None:
        return
    user = person.user
    author_language = deps.language(SlackUser(user.team_id, other_author))
    text = t(
        "ideas.coauthor_joined", author_language, user=f"<@{user.user_id}>", title=titles["title"]
    )
    outcome = deliver(
        deps.database,
        deps.gateway,
        blocks.notice(text),
        Recipient(user_id=other_author, team_id=user.team_id),
        key=f"coauthor:{own_id}:{other_id}",
        about=joiner,  # it tells of their joining: forget-me takes it with them
    )
    if not outcome.delivered:
        # They joined all the same; the author sees the co-author in /ideas.
        logger.warning("could not tell the author: %s %s", outcome.status, outcome.code)


def link_similar(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    ack()
    titles, *_ = _choose(deps, person, action, similar_ideas.link_related)
    respond(replace_original=True, **blocks.notice(t("ideas.linked", person.language, **titles)))


def keep_separate(ack: Ack, respond: Respond, person: Person) -> None:
    ack()
    respond(replace_original=True, **blocks.notice(t("ideas.kept_separate", person.language)))


def register(app: App, deps: Deps) -> None:
    app.action(ids.SIMILAR_JOIN)(listener(join_similar))
    app.action(ids.SIMILAR_LINK)(listener(link_similar))
    app.action(ids.SIMILAR_SEPARATE)(listener(keep_separate))
