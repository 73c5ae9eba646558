"""Facilitator checks for listeners: configuration, the database, and Slack's admin flags."""

from __future__ import annotations

import logging
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.context import Deps
from services import facilitators
from services.participants import SlackUser

logger = logging.getLogger(__name__)
ADMIN_CACHE_SECONDS = 300


def _workspace_admin(deps: Deps, client: WebClient, user: SlackUser) -> bool:
    key = (user.team_id, user.user_id)
    cached = deps.admin_cache.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    try:
        info = client.users_info(user=user.user_id)["user"]
        is_admin = bool(info.get("is_admin") or info.get("is_owner"))
    except SlackApiError as error:
        # Unknown is not admin: refusing is the safe side, and the person can ask again.
        logger.warning("users.info failed for %s: %s", user.user_id, error.response.get("error"))
        return False
    deps.admin_cache[key] = (is_admin, time.monotonic() + ADMIN_CACHE_SECONDS)
    return is_admin


def is_facilitator(deps: Deps, client: WebClient, user: SlackUser) -> bool:
    with deps.database.session() as session:
        if facilitators.is_facilitator(
            session, deps.settings.facilitators, user, workspace_admin=False
        ):
            return True
    return _workspace_admin(deps, client, user)


def refuse(user: SlackUser, action: str) -> None:
    logger.warning("refused facilitator action %s by %s/%s", action, user.team_id, user.user_id)
