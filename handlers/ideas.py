"""Listeners for sharing, browsing, editing and withdrawing ideas and needs."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import blocks, ids
from handlers.context import Deps, open_modal, read_json, view_values
from handlers.listening import Modal, Person, form_errors, form_opener, listener, run_after_ack
from handlers.theme_blocks import chosen_theme
from models import IdeaKind
from services import idea_capture, ideas
from services.answer_keys import answer_keys
from services.delivery import Message, ReplyTo, reply
from services.errors import DomainError, InvalidInput
from services.participants import SlackUser
from services.record_ids import carried_id

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


# What each command shares.
COMMAND_KINDS = {"/idea": IdeaKind.IDEA, "/need": IdeaKind.NEED}


def share_idea(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    person: Person,
    deps: Deps,
) -> None:
    """``/idea TEXT`` (``/need TEXT``) saves an idea (a need) at once; bare, it opens the form."""
    kind = COMMAND_KINDS[command["command"]]
    text = command.get("text") or ""
    if text == "":
        ack()
        # After the ack, on the worker pool: this listener runs in the request thread.
        run_after_ack(
            deps,
            _open_idea_modal,
            client,
            respond,
            deps,
            person,
            command,
            kind,
            what="the idea form",
            person=person,
            tell=lambda m: respond(response_type="ephemeral", replace_original=False, **m),
        )
        return
    if not ideas.clean_text(text):
        raise InvalidInput("errors.empty", limit=ideas.MAX_BODY)
    # Stored before the ack: an idea the person sees confirmed is already committed. Its
    # suggestions are queued in the same transaction and sent later by the sweeper.
    shared = idea_capture.share_idea(
        deps.database,
        person.user,
        kind,
        text,
        request_key=f"command:{command['trigger_id']}",
        suggestions_to=idea_capture.SuggestionsTo(reply_url=command.get("response_url")),
        default_language=deps.settings.default_language,
    )
    # The author row gave the language; unknown (a first idea): asked now, after the commit.
    person.knows_language(shared.language or deps.slack_language(person.user, shared.author_id))
    submission = shared.submission
    ack(
        response_type="ephemeral",
        **blocks.idea_saved(submission.idea, person.language, duplicate=submission.duplicate),
    )


def list_ideas(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``/ideas [WORDS]``: the first page of ideas, filtered by the words."""
    with deps.database.reading() as session:
        page = ideas.list_ideas(session, person.user.team_id, command.get("text"))
        answer = blocks.idea_page(page, person.user.user_id, person.language)
    ack(response_type="ephemeral", **answer)


def turn_ideas_page(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    ack()
    query, number = read_json(
        action.get("value"),
        lambda wanted: (str(wanted.get("q", "")), carried_id(wanted.get("p", 1))),
    )
    with deps.database.reading() as session:
        page = ideas.list_ideas(session, person.user.team_id, query, number)
        answer = blocks.idea_page(page, person.user.user_id, person.language)
    respond(response_type="ephemeral", replace_original=True, **answer)


def edit_form(body: dict[str, Any], action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """The edit button: the idea form, filled in (for its author only)."""
    with deps.database.reading() as session:
        idea = ideas.idea_for_editing(session, person.user, _idea_id(action))
        metadata = {"idea_id": idea.id, **_origin(body)}
        return blocks.idea_modal(person.language, idea=idea, metadata=metadata)


def withdraw_idea(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    ack()
    with deps.database.session() as session:
        idea = ideas.withdraw_idea(session, person.user, _idea_id(action))
        answer = blocks.idea_withdrawn(idea, person.language)
    respond(response_type="ephemeral", replace_original=False, **answer)


def save_as_idea(shortcut: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """The message shortcut: the idea form, filled with the message and its link."""
    channel = (shortcut.get("channel") or {}).get("id")
    message = shortcut.get("message") or {}
    link = _permalink(deps, channel, message)
    metadata: dict[str, Any] = {"channel": channel}
    if link:
        # Signed: the link is shown to everyone, and private_metadata comes back from the client.
        with deps.database.session() as session:
            keys = answer_keys(session, deps.settings)
        metadata |= {"source_url": link, "source_sig": ideas.sign_source(keys, person.user, link)}
    return blocks.idea_modal(
        person.language,
        metadata=metadata,
        initial_body=(message.get("text") or "")[: ideas.MAX_BODY],
    )


def idea_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    """The idea form: a new idea, or an edit of one (its id in the metadata)."""
    metadata = _metadata(view)
    values = view_values(view, ids.IDEA_FIELDS)
    channel = metadata.get("channel")
    try:
        data = _idea_input(values)
        with deps.database.session() as session:
            data = replace(data, source_url=_trusted_source(session, deps, person, metadata))
            answer, new_idea = _save_idea(session, person, metadata, data)
            if new_idea:
                # Sent by the sweeper, where the form was opened (else in the author's DM).
                to = idea_capture.SuggestionsTo(channel_id=channel)
                idea_capture.queue_suggestions(session, new_idea, to)
    except DomainError as error:
        ack(**form_errors(error, person, ids.IDEA_FIELDS, "body"))
        return
    ack()
    confirm_to_author(deps, person.user, channel, answer)


def _trusted_source(
    session: Session, deps: Deps, person: Person, metadata: dict[str, Any]
) -> str | None:
    """The form's source link, only if the bot signed it for this person (everyone sees it)."""
    url = metadata.get("source_url")
    if url is None:
        return None
    keys = answer_keys(session, deps.settings)
    trusted = ideas.signed_source(keys, person.user, url, metadata.get("source_sig"))
    if trusted is None:
        logger.warning("dropped an unsigned source link from %s's form", person.user.user_id)
    return trusted


def _idea_input(values: dict[str, str | None]) -> ideas.IdeaInput:
    try:
        kind = IdeaKind(values["kind"] or IdeaKind.IDEA.value)
    except ValueError:
        raise InvalidInput("errors.bad_choice", field="kind") from None
    theme, theme_id = chosen_theme(values["theme"])
    return ideas.IdeaInput(
        kind=kind,
        body=values["body"] or "",
        title=values["title"],
        theme=theme,
        theme_id=theme_id,
    )


def _save_idea(
    session: Session, person: Person, metadata: dict[str, Any], data: ideas.IdeaInput
) -> tuple[dict[str, Any], int | None]:
    """Update or submit; the confirmation, and the new idea's id when there is one. (A form
    sent again is answered by ``handlers.replays`` before it gets here.)"""
    if metadata.get("idea_id"):
        idea = ideas.update_idea(session, person.user, carried_id(metadata["idea_id"]), data)
        return blocks.idea_updated(idea, person.language), None
    submission = ideas.submit_idea(session, person.user, data)
    answer = blocks.idea_saved(submission.idea, person.language, duplicate=submission.duplicate)
    return answer, None if submission.duplicate else submission.idea.id


def register(app: App, deps: Deps) -> None:
    # The language comes from the author row that /idea writes: no lookup before the ack.
    # These ack last: they run in the request thread (no hand-off to the listener pool).
    # One listener for both: the command's name says what is shared (COMMAND_KINDS).
    app.command("/idea")(listener(share_idea, language_later=True, acks_last=True))
    app.command("/need")(listener(share_idea, language_later=True, acks_last=True))
    app.command("/ideas")(listener(list_ideas, acks_last=True))
    app.action(ids.IDEAS_PAGE)(listener(turn_ideas_page))
    app.action(ids.EDIT_IDEA)(form_opener(edit_form))
    app.action(ids.WITHDRAW_IDEA)(listener(withdraw_idea))
    app.shortcut(ids.SAVE_AS_IDEA)(form_opener(save_as_idea))
    app.view(ids.IDEA_MODAL)(listener(idea_submitted))


def _permalink(deps: Deps, channel: str | None, message: dict[str, Any]) -> str | None:
    """The message's permalink; without one the idea is still saved, only without the link."""
    if not channel or not message.get("ts"):
        return None
    return ideas.safe_link(deps.gateway.permalink(channel, message["ts"]))


def _idea_id(action: dict[str, Any]) -> int:
    return carried_id(action.get("value"))


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _origin(body: dict[str, Any]) -> dict[str, str]:
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    return {"channel": channel} if channel else {}


def _open_idea_modal(
    client: WebClient,
    respond: Respond,
    deps: Deps,
    person: Person,
    command: dict[str, Any],
    kind: IdeaKind,
) -> None:
    language = person.language
    modal = blocks.idea_modal(language, kind=kind, metadata={"channel": command.get("channel_id")})
    open_modal(client, respond, command["trigger_id"], modal, language)


def confirm_to_author(deps: Deps, user: SlackUser, channel: str | None, answer: Message) -> None:
    """Tell the author where they started; their DM with the app if that channel refuses.

    Slack may fail in any way here (an error, 5xx past the retries, a timeout): the idea is
    committed, so a failure costs only the confirmation, and is logged rather than raised.
    """
    outcome = reply(deps.gateway, answer, ReplyTo(user.user_id, channel=channel))
    if not outcome.delivered:
        # The idea is committed; only the confirmation is lost, and /ideas shows it.
        logger.warning("could not confirm to %s: %s", user.user_id, outcome.code)
