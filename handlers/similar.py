"""Similar ideas after a submission: join as co-author, link as related, or keep separate."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks, ids
from handlers.context import Deps, user_from_interaction
from handlers.mrkdwn import escape_within
from i18n import t
from services import similar_ideas
from services.errors import DomainError, InvalidInput

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], None]


def offer_similar(deps: Deps, idea_id: int, language: str, send: Send) -> None:
    """Queue the suggestions for a new idea, unless submissions are flooding in."""
    if not deps.suggestion_budget.try_acquire():
        logger.info("similar ideas skipped for idea %s: many submissions at once", idea_id)
        return
    deps.workers.submit(suggest_similar, deps, idea_id, language, send)


def suggest_similar(deps: Deps, idea_id: int, language: str, send: Send) -> None:
    """Runs after the ack, on the worker pool: the index may take a moment to build."""
    try:
        with deps.database.session() as session:
            query = similar_ideas.similarity_query(session, idea_id)
        if query is None:
            return
        # The search is CPU work: done between two short transactions, holding no lock.
        hits = query.run()
        if not hits:
            return
        with deps.database.session() as session:
            found = similar_ideas.suggestions(session, query, hits)
            if not found:
                return
            message = blocks.similar_ideas_message(idea_id, found, language)
        send(message)
    except SlackApiError as error:
        logger.warning("could not show similar ideas: %s", error.response.get("error"))
    except Exception:
        # A suggestion is a courtesy: the idea is saved whatever happens here.
        logger.exception("similar ideas failed for idea %s", idea_id)


def _pair(action: dict[str, Any]) -> tuple[int, int]:
    try:
        value = json.loads(action.get("value") or "")
        return int(value["own"]), int(value["other"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("errors.bad_request") from None


def register(app: App, deps: Deps) -> None:
    def act(body: dict[str, Any], action: dict[str, Any], respond: Respond, change: Any) -> Any:
        user = user_from_interaction(body)
        language = deps.language(user)
        try:
            own_id, other_id = _pair(action)
            with deps.database.session() as session:
                own, other = change(session, user, own_id, other_id)
                titles = {
                    "own": escape_within(own.title, 150),
                    "title": escape_within(other.title, 150),
                }
                # Someone not in Slack (imported) is never messaged.
                other_author = None if other.author.is_offline else other.author.user_id
        except DomainError as error:
            logger.warning("refused similar-idea choice by %s: %s", user.user_id, error.key)
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t(error.key, language, **error.params)),
            )
            return None
        return user, language, titles, other_author

    @app.action(ids.SIMILAR_JOIN)
    def join(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        done = act(body, action, respond, similar_ideas.join_as_coauthor)
        if not done:
            return
        user, language, titles, other_author = done
        respond(replace_original=True, **blocks.notice(t("ideas.joined", language, **titles)))
        if other_author is None:
            return
        try:
            author_language = deps.language(type(user)(user.team_id, other_author))
            text = t(
                "ideas.coauthor_joined",
                author_language,
                user=f"<@{user.user_id}>",
                title=titles["title"],
            )
            client.chat_postMessage(channel=other_author, **blocks.notice(text))
        except SlackApiError as error:
            logger.warning("could not tell the author: %s", error.response.get("error"))

    @app.action(ids.SIMILAR_LINK)
    def link(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        done = act(body, action, respond, similar_ideas.link_related)
        if done:
            _, language, titles, _ = done
            respond(replace_original=True, **blocks.notice(t("ideas.linked", language, **titles)))

    @app.action(ids.SIMILAR_SEPARATE)
    def separate(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        language = deps.language(user_from_interaction(body))
        respond(replace_original=True, **blocks.notice(t("ideas.kept_separate", language)))
