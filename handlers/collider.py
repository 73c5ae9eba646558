"""``/collider`` subcommands and the profile form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import blocks, ids
from handlers.context import (
    Deps,
    open_modal,
    user_from_command,
    user_from_interaction,
    view_values,
)
from handlers.mrkdwn import escape_within
from i18n import t
from services import participants
from services.errors import InvalidInput
from services.ideas import MAX_BODY

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def help_(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        language = deps.language(user_from_command(command))
        ack(response_type="ephemeral", **blocks.help_message(language, MAX_BODY))

    def profile(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = user_from_command(command)
        with deps.database.session() as session:
            participant = participants.ensure_participant(session, user)
            language = participants.language_of(participant, deps.settings.default_language)
            modal = blocks.profile_modal(participant, language)
        open_modal(client, respond, command["trigger_id"], modal, language)

    deps.subcommands.update({"help": help_, "profile": profile})

    @app.command("/collider")
    def collider_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        name, _, args = (command.get("text") or "").strip().partition(" ")
        handler = deps.subcommands.get(name.lower() or "help")
        if handler is None:
            language = deps.language(user_from_command(command))
            unknown = t("errors.unknown_subcommand", language, command=escape_within(name, 40))
            ack(
                response_type="ephemeral", **blocks.help_message(language, MAX_BODY, prefix=unknown)
            )
            return
        handler(ack, command, args.strip(), client, respond)

    @app.view(ids.PROFILE_MODAL)
    def profile_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = user_from_interaction(body)
        values = view_values(view, ids.PROFILE_FIELDS)
        update = participants.ProfileUpdate(
            organisation=values["organisation"],
            organisation_type=values["organisation_type"],
            language=values["language"],
        )
        try:
            with deps.database.session() as session:
                participant = participants.update_profile(session, user, update)
                language = participants.language_of(participant, deps.settings.default_language)
        except InvalidInput as error:
            language = deps.language(user)
            block = ids.PROFILE_FIELDS.get(error.field or "", ids.PROFILE_FIELDS["organisation"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        done = blocks.done_modal(
            t("profile.modal_title", language), t("profile.saved", language), language
        )
        ack(response_action="update", view=done)
