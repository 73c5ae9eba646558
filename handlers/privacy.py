"""``/collider my-data`` and ``/collider forget-me``: a person's rights over their data."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import ids
from handlers.blocks import notice
from handlers.context import Deps
from handlers.listening import Person, listener, run_after_ack, subcommand
from handlers.privacy_blocks import forget_me_prompt
from i18n import t
from services import personal_data
from services.participants import SlackUser

logger = logging.getLogger(__name__)

EXPORT_FILENAME = "idea-collider-my-data.json"


def request_my_data(
    ack: Ack, client: WebClient, respond: Respond, person: Person, deps: Deps
) -> None:
    """``/collider my-data``: the file follows by DM, after the ack."""
    language = person.language
    ack(response_type="ephemeral", **notice(t("privacy.my_data_coming", language)))
    run_after_ack(
        deps,
        send_personal_data,
        deps,
        client,
        respond,
        person.user,
        language,
        what="my-data export",
        person=person,
        tell=lambda message: respond(response_type="ephemeral", replace_original=False, **message),
        failure_key="privacy.my_data_failed",
    )


def ask_to_forget(ack: Ack, person: Person) -> None:
    """``/collider forget-me``: asks to confirm first."""
    ack(response_type="ephemeral", **forget_me_prompt(person.language))


def forget_confirmed(ack: Ack, respond: Respond, person: Person, deps: Deps) -> None:
    ack()
    # Before forgetting: afterwards nothing remembers which language the person reads.
    language = person.language
    with deps.database.session() as session:
        forgotten = personal_data.forget(session, person.user, deps.settings.default_language)
    if forgotten is None:
        text = t("privacy.nothing_held", language)
    else:
        # The internal id only: the log must not keep what was just deleted.
        logger.info(
            "forgot participant #%s at their request (%s ideas anonymized)",
            forgotten.participant_id,
            forgotten.ideas,
        )
        text = t("privacy.forgotten", language, ideas=forgotten.ideas)
    respond(response_type="ephemeral", replace_original=True, **notice(text))


def forget_cancelled(ack: Ack, respond: Respond, person: Person) -> None:
    ack()
    text = t("privacy.forget_cancelled", person.language)
    respond(response_type="ephemeral", replace_original=True, **notice(text))


def send_personal_data(
    deps: Deps, client: WebClient, respond: Respond, user: SlackUser, language: str
) -> None:
    """Upload the person's data as a JSON file in a DM with them (runs after the ack; a
    failure is logged and told by ``run_after_ack``)."""
    with deps.database.session() as session:
        data = personal_data.personal_data(session, user)
    if data is None:
        respond(
            response_type="ephemeral",
            replace_original=False,
            **notice(t("privacy.nothing_held", language)),
        )
        return
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    channel = client.conversations_open(users=user.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        content=content,
        filename=EXPORT_FILENAME,
        title=t("privacy.my_data_title", language),
        initial_comment=t("privacy.my_data_comment", language),
    )


def register(app: App, deps: Deps) -> None:
    app.command("/collider", matchers=[subcommand("my-data")])(listener(request_my_data))
    app.command("/collider", matchers=[subcommand("forget-me")])(listener(ask_to_forget))
    app.action(ids.FORGET_ME_CONFIRM)(listener(forget_confirmed))
    app.action(ids.FORGET_ME_CANCEL)(listener(forget_cancelled))
