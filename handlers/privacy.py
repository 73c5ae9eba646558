"""``/collider my-data`` and ``/collider forget-me``: a person's rights over their data."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, Respond

from handlers import ids
from handlers.blocks import notice
from handlers.context import Deps
from handlers.listening import Person, listener, run_after_ack, subcommand
from handlers.privacy_blocks import forget_me_prompt
from i18n import t
from services import personal_data
from services.answer_keys import answer_keys
from services.delivery import Recipient, Upload, deliver_file
from services.participants import SlackUser

logger = logging.getLogger(__name__)

EXPORT_FILENAME = "idea-collider-my-data.json"


def request_my_data(ack: Ack, respond: Respond, person: Person, deps: Deps) -> None:
    """``/collider my-data``: the file follows by DM, after the ack."""
    language = person.language
    ack(response_type="ephemeral", **notice(t("privacy.my_data_coming", language)))
    run_after_ack(
        deps,
        send_personal_data,
        deps,
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
        # With the answer key, their text answers to anonymous polls are found and erased too.
        keys = answer_keys(session, deps.settings)
        forgotten = personal_data.forget(
            session, person.user, deps.settings.default_language, answer_keys=keys
        )
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


def send_personal_data(deps: Deps, respond: Respond, user: SlackUser, language: str) -> None:
    """Upload the person's data as a JSON file in a DM with them (runs after the ack). Slack
    refusing it is said to them here; anything else that fails is logged and told by
    ``run_after_ack``."""
    with deps.database.session() as session:
        keys = answer_keys(session, deps.settings)
        data = personal_data.personal_data(session, user, answer_keys=keys)
    if data is None:
        _say(respond, t("privacy.nothing_held", language))
        return
    upload = Upload(
        content=json.dumps(data, ensure_ascii=False, indent=2).encode(),
        filename=EXPORT_FILENAME,
        title=t("privacy.my_data_title", language),
        comment=t("privacy.my_data_comment", language),
    )
    outcome = deliver_file(
        deps.gateway, upload, Recipient(user_id=user.user_id, team_id=user.team_id)
    )
    if not outcome.delivered:
        logger.warning(
            "my-data export for %s/%s not delivered: %s %s",
            user.team_id,
            user.user_id,
            outcome.status,
            outcome.code,
        )
        _say(respond, t("privacy.my_data_failed", language))


def _say(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, **notice(text))


def register(app: App, deps: Deps) -> None:
    app.command("/collider", matchers=[subcommand("my-data")])(listener(request_my_data))
    app.command("/collider", matchers=[subcommand("forget-me")])(listener(ask_to_forget))
    app.action(ids.FORGET_ME_CONFIRM)(listener(forget_confirmed))
    app.action(ids.FORGET_ME_CANCEL)(listener(forget_cancelled))
