"""``/collider my-data`` and ``/collider forget-me``: a person's rights over their data."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers import ids
from handlers.blocks import notice
from handlers.context import Deps, user_from_command, user_from_interaction
from handlers.privacy_blocks import forget_me_prompt
from i18n import t
from services import personal_data, polls
from services.participants import SlackUser

logger = logging.getLogger(__name__)

EXPORT_FILENAME = "idea-collider-my-data.json"


def register(app: App, deps: Deps) -> None:
    def my_data(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        ack(response_type="ephemeral", **notice(t("privacy.my_data_coming", language)))
        deps.workers.submit(send_personal_data, deps, client, respond, user, language)

    def forget_me(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        language = deps.language(user_from_command(command))
        ack(response_type="ephemeral", **forget_me_prompt(language))

    deps.subcommands.update({"my-data": my_data, "forget-me": forget_me})

    @app.action(ids.FORGET_ME_CONFIRM)
    def forget_confirmed(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user = user_from_interaction(body)
        # Before forgetting: afterwards nothing remembers which language the person reads.
        language = deps.language(user)
        with deps.database.session() as session:
            forgotten = personal_data.forget(session, user, deps.settings.default_language)
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

    @app.action(ids.FORGET_ME_CANCEL)
    def forget_cancelled(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        language = deps.language(user_from_interaction(body))
        text = t("privacy.forget_cancelled", language)
        respond(response_type="ephemeral", replace_original=True, **notice(text))


def send_personal_data(
    deps: Deps, client: WebClient, respond: Respond, user: SlackUser, language: str
) -> None:
    """Upload the person's data as a JSON file in a DM with them (runs after the ack)."""
    try:
        with deps.database.session() as session:
            key = polls.answer_key(session, deps.settings.answer_key)
            data = personal_data.personal_data(session, user, answer_key=key)
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
    except (SlackApiError, SlackClientError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else error
        logger.warning("could not send personal data to %s: %s", user.user_id, reason)
        respond(
            response_type="ephemeral",
            replace_original=False,
            **notice(t("privacy.my_data_failed", language)),
        )
    except Exception:
        # Nobody waits on this future: say it here, or the failure is silent.
        logger.exception("failed to export personal data of %s", user.user_id)
        respond(
            response_type="ephemeral",
            replace_original=False,
            **notice(t("errors.generic", language)),
        )
