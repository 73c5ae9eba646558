"""Listeners for sharing, browsing, editing and withdrawing ideas and needs."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers import blocks, ids
from handlers.context import Deps, open_modal, user_from_command, user_from_interaction, view_values
from handlers.similar import offer_similar
from i18n import t
from models import IdeaKind
from services import ideas, themes
from services.errors import DomainError, InvalidInput
from services.participants import SlackUser, language_of

logger = logging.getLogger(__name__)


def _error(error: DomainError, language: str) -> dict[str, Any]:
    return blocks.notice(t(error.key, language, **error.params))


def register(app: App, deps: Deps) -> None:
    def share(
        kind: IdeaKind, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        text = command.get("text") or ""
        if text == "":
            ack()
            _open_idea_modal(client, respond, deps, user, command, kind)
            return
        if not ideas.clean_text(text):
            error = InvalidInput("errors.empty", limit=ideas.MAX_BODY)
            ack(**_error(error, deps.language(user)))
            return
        # Stored before the ack: an idea the person sees confirmed is already committed.
        # The author's row gives the language, so success costs one transaction, not two.
        try:
            with deps.database.session() as session:
                submission = ideas.submit_idea(
                    session,
                    user,
                    ideas.IdeaInput(kind=kind, body=text),
                    request_key=f"command:{command['trigger_id']}",
                )
                author = submission.idea.author
                # Known language: no second transaction; unknown: asked below, outside the lock.
                language = (
                    language_of(author, deps.settings.default_language)
                    if author.language or author.slack_locale
                    else None
                )
                author_id = author.id
        except DomainError as error:
            ack(**_error(error, deps.language(user)))
            return
        # Rendered after the commit: the transaction (SQLite's write lock) ends sooner.
        language = language or deps.slack_language(user, author_id)
        answer = blocks.idea_saved(submission.idea, language, duplicate=submission.duplicate)
        ack(response_type="ephemeral", **answer)
        if not submission.duplicate:
            offer_similar(
                deps,
                submission.idea.id,
                language,
                lambda m: respond(response_type="ephemeral", replace_original=False, **m),
            )

    @app.command("/idea")
    def idea_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        share(IdeaKind.IDEA, ack, command, client, respond)

    @app.command("/need")
    def need_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        share(IdeaKind.NEED, ack, command, client, respond)

    @app.command("/ideas")
    def ideas_command(ack: Ack, command: dict[str, Any]) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        with deps.database.session() as session:
            page = ideas.list_ideas(session, command.get("text"))
            answer = blocks.idea_page(page, user.user_id, language)
        ack(response_type="ephemeral", **answer)

    @app.action(ids.IDEAS_PAGE)
    def ideas_page(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = user_from_interaction(body)
        language = deps.language(user)
        try:
            wanted = json.loads(action.get("value") or "{}")
            query, number = str(wanted.get("q", "")), int(wanted.get("p", 1))
        except (ValueError, TypeError, AttributeError):
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t("errors.bad_request", language)),
            )
            return
        with deps.database.session() as session:
            page = ideas.list_ideas(session, query, number)
            answer = blocks.idea_page(page, user.user_id, language)
        respond(response_type="ephemeral", replace_original=True, **answer)

    @app.action(ids.EDIT_IDEA)
    def edit_idea(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = user_from_interaction(body)
        language = deps.language(user)
        try:
            with deps.database.session() as session:
                idea = ideas.idea_for_editing(session, user, _idea_id(action))
                modal = blocks.idea_modal(
                    language,
                    idea=idea,
                    metadata={"idea_id": idea.id, **_origin(body)},
                    themes=themes.open_themes(session, date.today()),
                )
        except DomainError as error:
            _refuse(user, "edit", action, error)
            respond(response_type="ephemeral", replace_original=False, **_error(error, language))
            return
        try:
            client.views_open(trigger_id=body["trigger_id"], view=modal)
        except SlackApiError as error:
            logger.warning(
                "views.open failed for %s: %s", user.user_id, error.response.get("error")
            )
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t("errors.form_unavailable", language)),
            )

    @app.action(ids.WITHDRAW_IDEA)
    def withdraw_idea(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = user_from_interaction(body)
        language = deps.language(user)
        try:
            with deps.database.session() as session:
                idea = ideas.withdraw_idea(session, user, _idea_id(action))
                answer = blocks.idea_withdrawn(idea, language)
        except DomainError as error:
            _refuse(user, "withdraw", action, error)
            respond(response_type="ephemeral", replace_original=False, **_error(error, language))
            return
        respond(response_type="ephemeral", replace_original=False, **answer)

    @app.shortcut(ids.SAVE_AS_IDEA)
    def save_as_idea(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = user_from_interaction(shortcut)
        language = deps.language(user)
        channel = (shortcut.get("channel") or {}).get("id")
        message = shortcut.get("message") or {}
        metadata = {"channel": channel, "source_url": _permalink(client, channel, message)}
        with deps.database.session() as session:
            modal = blocks.idea_modal(
                language,
                metadata=metadata,
                themes=themes.open_themes(session, date.today()),
                initial_body=(message.get("text") or "")[: ideas.MAX_BODY],
            )
        open_modal(client, respond, shortcut["trigger_id"], modal, language)

    @app.view(ids.IDEA_MODAL)
    def idea_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        metadata = _metadata(view)
        values = view_values(view, ids.IDEA_FIELDS)
        try:
            data = ideas.IdeaInput(
                kind=IdeaKind(values["kind"] or IdeaKind.IDEA.value),
                body=values["body"] or "",
                title=values["title"],
                theme=values["theme"],
                theme_id=int(values["theme_id"]) if values["theme_id"] else None,
                source_url=metadata.get("source_url"),
            )
        except ValueError:
            ack(
                response_action="errors",
                errors={ids.IDEA_FIELDS["kind"]: t("errors.bad_choice", language)},
            )
            return
        new_idea: int | None = None
        try:
            with deps.database.session() as session:
                if metadata.get("idea_id"):
                    idea = ideas.update_idea(session, user, int(metadata["idea_id"]), data)
                    answer = blocks.idea_updated(idea, language)
                else:
                    submission = ideas.submit_idea(
                        session, user, data, request_key=f"view:{view['id']}"
                    )
                    answer = blocks.idea_saved(
                        submission.idea, language, duplicate=submission.duplicate
                    )
                    new_idea = None if submission.duplicate else submission.idea.id
        except InvalidInput as error:
            block = ids.IDEA_FIELDS.get(error.field or "body", ids.IDEA_FIELDS["body"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        except DomainError as error:
            _refuse(user, "edit", metadata, error)
            ack(
                response_action="errors",
                errors={ids.IDEA_FIELDS["body"]: t(error.key, language, **error.params)},
            )
            return
        ack()
        channel = metadata.get("channel")
        _confirm(client, user, channel, answer)
        if new_idea:
            offer_similar(
                deps,
                new_idea,
                language,
                lambda m: _confirm(client, user, channel, m),
            )


def _permalink(client: WebClient, channel: str | None, message: dict[str, Any]) -> str | None:
    """The message's permalink; without one the idea is still saved, only without the link."""
    if not channel or not message.get("ts"):
        return None
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=message["ts"]).get("permalink")
    except SlackApiError as error:
        logger.info("chat.getPermalink failed: %s", error.response.get("error"))
        return None
    return ideas.safe_link(link if isinstance(link, str) else None)


def _idea_id(action: dict[str, Any]) -> int:
    try:
        return int(action.get("value") or "")
    except ValueError:
        raise InvalidInput("errors.bad_request") from None


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _origin(body: dict[str, Any]) -> dict[str, str]:
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    return {"channel": channel} if channel else {}


def _refuse(user: SlackUser, what: str, detail: object, error: DomainError) -> None:
    logger.warning(
        "refused %s by %s/%s: %s (%s)", what, user.team_id, user.user_id, error.key, detail
    )


def _open_idea_modal(
    client: WebClient,
    respond: Respond,
    deps: Deps,
    user: SlackUser,
    command: dict[str, Any],
    kind: IdeaKind,
) -> None:
    language = deps.language(user)
    with deps.database.session() as session:
        modal = blocks.idea_modal(
            language,
            kind=kind,
            metadata={"channel": command.get("channel_id")},
            themes=themes.open_themes(session, date.today()),
        )
    open_modal(client, respond, command["trigger_id"], modal, language)


def _confirm(
    client: WebClient, user: SlackUser, channel: str | None, answer: dict[str, Any]
) -> None:
    """Tell the author where they started; their DM with the app if that channel refuses.

    Slack may fail in any way here (an error, 5xx past the retries, a timeout): the idea is
    committed, so a failure costs only the confirmation, and is logged rather than raised.
    """
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user.user_id, **answer)
            return
    except (SlackClientError, OSError) as error:
        logger.info("ephemeral confirmation failed (%s); sending a DM", _slack_error(error))
    try:
        client.chat_postMessage(channel=user.user_id, **answer)
    except (SlackClientError, OSError) as error:
        # The idea is committed; only the confirmation is lost, and /ideas shows it.
        logger.warning("could not confirm to %s: %s", user.user_id, _slack_error(error))


def _slack_error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return type(error).__name__
