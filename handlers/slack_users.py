"""What Slack knows about a person (locale, time zone, workspace admin), asked with a short
timeout.

Used while a request waits for its ack, so a slow or failing ``users.info`` must cost little:
one short attempt, and a failure is remembered for a while instead of retried on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from services.local_time import zone_named

logger = logging.getLogger(__name__)

LOOKUP_TIMEOUT_SECONDS = 1
RETRY_FAILED_AFTER_SECONDS = 300.0
KEEP_ANSWERS_SECONDS = 3600.0


@dataclass(frozen=True)
class SlackProfile:
    locale: str | None
    is_admin: bool
    # Slack's ``tz`` (``Europe/Helsinki``) when it names a zone this machine knows.
    time_zone: str | None = None


class SlackDirectory:
    def __init__(self, client: WebClient, *, retry_after: float = RETRY_FAILED_AFTER_SECONDS):
        # A client of its own: no retry handlers and a short timeout, unlike the app's client.
        self._client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=LOOKUP_TIMEOUT_SECONDS,
            retry_handlers=[],
        )
        self._retry_after = retry_after
        self._failed_at: dict[str, float] = {}
        self._answers: dict[str, tuple[float, SlackProfile]] = {}
        self._lock = threading.Lock()

    def profile(self, user_id: str, max_age: float = KEEP_ANSWERS_SECONDS) -> SlackProfile | None:
        """The person's locale, time zone and admin flags, or None when Slack cannot say just now.

        An answer up to ``max_age`` seconds old is reused (0: ask Slack now).
        """
        now = time.monotonic()
        with self._lock:
            failed_at = self._failed_at.get(user_id)
            answered = self._answers.get(user_id)
        if answered is not None and now - answered[0] < max_age:
            return answered[1]
        if failed_at is not None and now - failed_at < self._retry_after:
            return None
        try:
            response = self._client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, SlackClientError, OSError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            logger.info("users.info for %s failed (%s); using the default", user_id, reason)
            with self._lock:
                self._failed_at[user_id] = time.monotonic()
            return None
        user = response.get("user") or {}
        locale = user.get("locale")
        profile = SlackProfile(
            locale=locale if isinstance(locale, str) and locale else None,
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            time_zone=user["tz"] if zone_named(user.get("tz")) else None,
        )
        with self._lock:
            self._failed_at.pop(user_id, None)
            self._answers[user_id] = (time.monotonic(), profile)
        return profile
