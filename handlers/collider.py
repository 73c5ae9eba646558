"""``/collider`` help, profile and unknown subcommands, and the profile form.

Every ``/collider NAME`` is a listener of its own, matched with ``subcommand(NAME)``; the
catch-all here answers names that no module claimed, so this module registers after them all.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from handlers import blocks, ids
from handlers.context import Deps, view_values
from handlers.listening import (
    Modal,
    Person,
    form_errors,
    form_opener,
    listener,
    subcommand,
    subcommand_name,
)
from handlers.mrkdwn import escape_within
from i18n import t
from services import participants
from services.errors import InvalidInput
from services.ideas import MAX_BODY

logger = logging.getLogger(__name__)


def show_help(ack: Ack, person: Person) -> None:
    """``/collider`` and ``/collider help``."""
    ack(response_type="ephemeral", **blocks.help_message(person.language, MAX_BODY))


def profile_form(person: Person, deps: Deps) -> Modal:
    """``/collider profile`` (and the App Home button): the profile form, in the language the
    profile says."""
    with deps.database.session() as session:
        participant = participants.ensure_participant(session, person.user)
        language = participants.language_of(participant, deps.settings.default_language)
        return blocks.profile_modal(participant, language)


def unknown_subcommand(ack: Ack, command: dict[str, Any], person: Person) -> None:
    """Any other ``/collider NAME``: the help, headed by what was not understood."""
    name = subcommand_name(command)
    unknown = t("errors.unknown_subcommand", person.language, command=escape_within(name, 40))
    ack(
        response_type="ephemeral",
        **blocks.help_message(person.language, MAX_BODY, prefix=unknown),
    )


def profile_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    values = view_values(view, ids.PROFILE_FIELDS)
    update = participants.ProfileUpdate(
        organisation=values["organisation"],
        organisation_type=values["organisation_type"],
        language=values["language"],
        role=values["role"],
    )
    try:
        with deps.database.session() as session:
            participant = participants.update_profile(session, person.user, update)
            language = participants.language_of(participant, deps.settings.default_language)
    except InvalidInput as error:
        ack(**form_errors(error, person, ids.PROFILE_FIELDS, "organisation"))
        return
    done = blocks.done_modal(
        t("profile.modal_title", language), t("profile.saved", language), language
    )
    ack(response_action="update", view=done)


def register(app: App, deps: Deps) -> None:
    app.command("/collider", matchers=[subcommand("", "help")])(listener(show_help))
    app.command("/collider", matchers=[subcommand("profile")])(form_opener(profile_form))
    app.command("/collider")(listener(unknown_subcommand))
    app.view(ids.PROFILE_MODAL)(listener(profile_submitted))
