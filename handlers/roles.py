"""Facilitator checks for listeners: configured ids, those added in Slack, workspace admins."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond

from handlers.blocks import notice
from handlers.context import Deps
from i18n import t
from services import facilitators
from services.participants import SlackUser

logger = logging.getLogger(__name__)

# Admin rights can be revoked: ask Slack again after a minute.
ADMIN_ANSWER_MAX_AGE = 60.0


def is_facilitator(deps: Deps, user: SlackUser) -> bool:
    with deps.database.session() as session:
        if facilitators.is_facilitator(
            session, deps.settings.facilitators, user, workspace_admin=False
        ):
            return True
    profile = (
        deps.directory.profile(user.user_id, max_age=ADMIN_ANSWER_MAX_AGE)
        if deps.directory
        else None
    )
    return profile is not None and profile.is_admin


def refuse(user: SlackUser, what: str) -> None:
    logger.warning("refused facilitator action %s by %s/%s", what, user.team_id, user.user_id)


def refusal(user: SlackUser, what: str, language: str) -> dict[str, Any]:
    """A polite, localized no (and a log line) for someone who is not a facilitator."""
    refuse(user, what)
    return notice(t("roles.facilitators_only", language))


def ack_unless_facilitator(
    deps: Deps, reply: Ack | Respond, user: SlackUser, what: str, language: str
) -> bool:
    """True for a facilitator; otherwise answer with the refusal (ack for a command, respond
    for a button) and say False."""
    if is_facilitator(deps, user):
        return True
    reply(response_type="ephemeral", **refusal(user, what, language))
    return False


def form_unless_facilitator(
    deps: Deps, ack: Ack, user: SlackUser, what: str, language: str, block_id: str
) -> bool:
    """For a form submission: True for a facilitator; otherwise the refusal under ``block_id``."""
    if is_facilitator(deps, user):
        return True
    ack(response_action="errors", errors={block_id: refusal(user, what, language)["text"]})
    return False
