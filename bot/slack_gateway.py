"""The one gateway for Slack calls made outside a request (intros, notices, reports, polls).

It sends what it is given and renders nothing (``services.delivery`` decides what and when).
It paces calls within the rate tiers, relies on the client's retry handlers for 429/5xx, and
turns what is left into a typed ``DeliveryError``: permanent, temporary, retry-after, or in
doubt (a post whose connection broke: Slack may have posted it). It names the people a failure
is about so the rest of a round can go on.
"""

from __future__ import annotations

import http.client
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.rate_limit import SlackPacer
from bot.webhooks import Answer, response_url_poster
from models.db import holding_the_database
from services.delivery import DeliveryError, FailureKind, Upload

logger = logging.getLogger(__name__)

MPIM_MAX_USERS = 8
# Suffixes -2 … -N tried when a channel name is taken, then a random one.
NAME_ATTEMPTS = 5
# Errors about a person: find out who, leave them out, go on with the others.
PERSON_ERRORS = {
    "user_not_found",
    "user_disabled",
    "user_is_deactivated",
    "cannot_dm_bot",
    "user_is_restricted",
    "user_is_ultra_restricted",
    "cant_invite",
    "is_bot",
}
PERMANENT_ERRORS = PERSON_ERRORS | {
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "invalid_blocks",
    "msg_too_long",
    "too_many_users",
    "restricted_action",
    "missing_scope",
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "invalid_name",
    "invalid_name_specials",
    "no_permission",
}
# What files.delete answers for a file that is not there (any more): the delete is done.
FILE_GONE = {"file_not_found", "file_deleted"}
MARKER_EVENT = "collider_marker"
# Calls that create something: when the connection breaks, Slack may have done it.
NOT_IDEMPOTENT = {"chat.postMessage", "files.upload_v2"}


def _api_error(error: SlackApiError) -> DeliveryError:
    code = str(error.response.get("error") or "unknown_error")
    if error.response.status_code == 429:
        retry_after = float(error.response.headers.get("Retry-After", 1) or 1)
        return DeliveryError(code, FailureKind.RETRY_AFTER, retry_after=retry_after)
    kind = FailureKind.PERMANENT if code in PERMANENT_ERRORS else FailureKind.TEMPORARY
    return DeliveryError(code, kind)


def _connection_error(method: str, error: Exception) -> DeliveryError:
    kind = FailureKind.IN_DOUBT if method in NOT_IDEMPOTENT else FailureKind.TEMPORARY
    return DeliveryError(f"connection: {type(error).__name__}", kind)


class SlackGateway:
    def __init__(self, client: WebClient, pacer: SlackPacer | None = None):
        self.client = client
        self.pacer = pacer or SlackPacer()
        # The process's kept-alive connections: a flood of suggestions posts hundreds to one
        # host, and every ``respond`` in a listener goes there too.
        self.response_urls = response_url_poster()

    def _call(
        self, method: str, *, pace_channel: str | None = None, **params: Any
    ) -> dict[str, Any]:
        if holding_the_database():
            # Against the rule of models.db._OneAtATime: pacing may sleep, and meanwhile every
            # other thread of this process waits for the database. Said, so it gets fixed.
            logger.warning("Slack %s called while holding the database lock", method)
        self.pacer.before(method, pace_channel)
        try:
            # The SDK's own method knows each endpoint's encoding (form, JSON or GET).
            response = getattr(self.client, method.replace(".", "_"))(**params)
        except SlackApiError as error:
            raise _api_error(error) from error
        except (SlackClientError, OSError) as error:
            raise _connection_error(method, error) from error
        return dict(response.data)  # type: ignore[arg-type]

    def _unreachable_among(self, user_ids: Sequence[str]) -> list[str]:
        """Who of these people Slack cannot put in a conversation (deactivated, unknown)."""
        bad = []
        for user_id in user_ids:
            try:
                user = self._call("users.info", user=user_id)["user"]
            except DeliveryError as error:
                if error.code in PERSON_ERRORS:
                    bad.append(user_id)
                    continue
                raise
            if user.get("deleted") or user.get("is_bot"):
                bad.append(user_id)
        return bad

    def _person_error(self, error: DeliveryError, user_ids: Sequence[str]) -> DeliveryError:
        if error.code not in PERSON_ERRORS:
            return error
        bad = self._unreachable_among(user_ids)
        return DeliveryError(error.code, FailureKind.PERMANENT, user_ids=bad)

    def open_conversation(
        self,
        user_ids: Sequence[str],
        name: str,
        *,
        channel: str | None = None,
        created: Callable[[str], None] | None = None,
    ) -> str:
        """A group DM for up to 8 people; a new private channel for more, named ``name`` or,
        when that is taken, a free variant of it. ``created`` hears the new channel's id before
        anyone is invited; ``channel`` (that id, recorded) resumes inviting into it."""
        if channel is None and len(user_ids) <= MPIM_MAX_USERS:
            try:
                return str(
                    self._call("conversations.open", users=",".join(user_ids))["channel"]["id"]
                )
            except DeliveryError as error:
                raise self._person_error(error, user_ids) from error
        if channel is None:
            channel = self._new_private_channel(name)
            if created is not None:
                created(channel)
        try:
            self._call("conversations.invite", channel=channel, users=",".join(user_ids))
        except DeliveryError as error:
            if error.code == "already_in_channel":
                return channel
            raise self._person_error(error, user_ids) from error
        return channel

    def _new_private_channel(self, name: str) -> str:
        """Create a private channel; a name someone already has (an old install, a database
        reset) gets a suffix. An existing channel is never taken over: it is not ours."""
        candidates = [name, *(f"{name}-{n}" for n in range(2, NAME_ATTEMPTS + 1))]
        candidates.append(f"{name}-{uuid.uuid4().hex[:8]}")
        for candidate in candidates:
            try:
                answer = self._call("conversations.create", name=candidate, is_private=True)
            except DeliveryError as error:
                if error.code != "name_taken":
                    raise
                logger.info("channel name %s is taken; trying another", candidate)
                continue
            return str(answer["channel"]["id"])
        raise DeliveryError("name_taken", FailureKind.PERMANENT)

    def dm_channel(self, user_id: str) -> str:
        try:
            return str(self._call("conversations.open", users=user_id)["channel"]["id"])
        except DeliveryError as error:
            raise DeliveryError(
                error.code, error.kind, user_ids=[user_id], retry_after=error.retry_after
            ) from error

    def user_locale(self, user_id: str) -> str | None:
        """Asked when someone's row has no language: a failure here only means the default."""
        try:
            user = self._call("users.info", user=user_id, include_locale=True).get("user") or {}
        except DeliveryError as error:
            logger.info("no Slack locale for %s: %s", user_id, error.code)
            return None
        locale = user.get("locale")
        return locale if isinstance(locale, str) and locale else None

    def user_email(self, user_id: str) -> str | None:
        """``profile.email`` of ``users.info`` (there with the ``users:read.email`` scope); None
        for someone Slack does not know or who has none (a bot)."""
        try:
            user = self._call("users.info", user=user_id).get("user") or {}
        except DeliveryError as error:
            if error.code in PERSON_ERRORS:
                return None
            raise
        email = (user.get("profile") or {}).get("email")
        return email if isinstance(email, str) and email else None

    def find_user_by_email(self, email: str) -> str | None:
        """``users.lookupByEmail``: the member with this e-mail, None when there is none (Slack
        answers ``users_not_found``) or it is a bot or deactivated."""
        try:
            user = self._call("users.lookupByEmail", email=email).get("user") or {}
        except DeliveryError as error:
            if error.code == "users_not_found":
                return None
            raise
        user_id = user.get("id")
        if user.get("deleted") or user.get("is_bot") or not isinstance(user_id, str):
            return None
        return user_id or None

    def channel_members(self, channel: str) -> tuple[str, ...]:
        members: list[str] = []
        cursor = None
        while True:
            page = self._call("conversations.members", channel=channel, limit=1000, cursor=cursor)
            members += page.get("members", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return tuple(members)

    def find_marked_message(self, channel: str, marker: str) -> str | None:
        history = self._call(
            "conversations.history", channel=channel, limit=50, include_all_metadata=True
        )
        for message in history.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("marker") == marker:
                return str(message["ts"])
        return None

    def _post(
        self, channel: str, message: dict[str, Any], marker: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"channel": channel, **message}
        if marker:
            params["metadata"] = {"event_type": MARKER_EVENT, "event_payload": {"marker": marker}}
        return self._call("chat.postMessage", pace_channel=channel, **params)

    def post(self, channel: str, message: dict[str, Any], marker: str | None = None) -> str:
        """Post a finished message; a ``marker`` lets ``find_marked_message`` find it after a
        timeout."""
        return str(self._post(channel, message, marker)["ts"])

    def post_ephemeral(self, channel: str, user_id: str, message: dict[str, Any]) -> None:
        self._call("chat.postEphemeral", channel=channel, user=user_id, **message)

    def respond(self, response_url: str, message: dict[str, Any]) -> None:
        """A response URL is not a Web API method: no token, no pacing; Slack answers 200."""
        try:
            status = self.post_to_response_url(
                response_url, {"response_type": "ephemeral", "replace_original": False, **message}
            ).status
        except (SlackClientError, OSError, http.client.HTTPException) as error:
            raise _connection_error("response_url", error) from error
        if status != 200:
            kind = FailureKind.TEMPORARY if status >= 500 else FailureKind.PERMANENT
            raise DeliveryError(f"response_url_{status}", kind)

    def post_to_response_url(self, response_url: str, message: dict[str, Any]) -> Answer:
        """Post ``message`` as it is, over the process's kept-alive connections: what Slack
        answered, whatever its status (Bolt's ``respond`` returns it so); a connection that
        breaks raises (``OSError``, ``http.client.HTTPException``)."""
        return self.response_urls.post(response_url, message, timeout=self.client.timeout)

    def permalink(self, channel: str, ts: str) -> str | None:
        """A message's permalink; None when Slack will not give one (the caller goes on without)."""
        try:
            link = self._call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink")
        except DeliveryError as error:
            logger.info("chat.getPermalink failed: %s", error.code)
            return None
        return link if isinstance(link, str) else None

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        self._call("chat.update", channel=channel, ts=ts, **message)

    def pin(self, channel: str, ts: str) -> None:
        """Pin a message (a think tank's charter); pinning it again is harmless."""
        try:
            self._call("pins.add", channel=channel, timestamp=ts)
        except DeliveryError as error:
            if error.code != "already_pinned":
                raise

    def upload_file(self, channel: str, upload: Upload) -> None:
        """Share a file (a report chart, someone's data) in ``channel``, with its comment as the
        message: files.getUploadURLExternal, the upload, then files.completeUploadExternal, all
        inside the SDK's files_upload_v2."""
        self._upload(upload, channel=channel)

    def upload_image(self, content: bytes, filename: str, title: str) -> str:
        """Upload an image shared in no channel, and return its file id: completed without a
        channel, the file is private to the app, which can still show it in its own image
        blocks (``slack_file``), e.g. a chart on a facilitator's App Home."""
        response = self._upload(Upload(content, filename, title), channel=None)
        return str(response["file"]["id"])

    def delete_file(self, file_id: str) -> None:
        """Delete a file the app uploaded (files.delete). One that is gone already
        (``file_not_found``, ``file_deleted``: deleted before, or by an admin) is no error."""
        try:
            self._call("files.delete", file=file_id)
        except DeliveryError as error:
            if error.code not in FILE_GONE:
                raise
            logger.info("file %s was gone already (%s)", file_id, error.code)

    def _upload(self, upload: Upload, *, channel: str | None) -> dict[str, Any]:
        self.pacer.before("files.upload_v2")
        try:
            response = self.client.files_upload_v2(
                channel=channel,
                file=upload.content,
                filename=upload.filename,
                title=upload.title,
                initial_comment=upload.comment,
            )
        except SlackApiError as error:
            raise _api_error(error) from error
        except (SlackClientError, OSError) as error:
            raise _connection_error("files.upload_v2", error) from error
        return dict(response.data)  # type: ignore[arg-type]
