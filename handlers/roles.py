"""Who is a facilitator: configured ids, those added in Slack, workspace admins.

Listeners are guarded with ``handlers.listening.facilitators_only``, which asks this module."""

from __future__ import annotations

import logging

from handlers.context import Deps
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
