"""Signed requests to the real Bolt app, built the way Slack builds them.

The tests and ``collider console`` send the same requests: a slash command, a button click, a
form submission, each signed with the app's signing secret and dispatched to the app, so both
go through signature checks, Bolt's parsing and our listeners exactly as in production.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse

from bot.local import escaping
from bot.local.block_kit_limits import ack_problems
from bot.local.slack import TEAM_ID, LocalSlack

APP_ID = "A0COLLIDER"
DEFAULT_CHANNEL = "C001"

_counter = itertools.count(1)


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": signature}


def response_json(response: BoltResponse) -> dict[str, Any]:
    return json.loads(response.body) if response.body else {}


def _option_entry(element: dict[str, Any], value: str) -> dict[str, Any]:
    for option in element.get("options") or []:
        if option.get("value") == value:
            return dict(option)
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` for a submission, from ``values`` keyed by input block id.

    A string fills a text input; ``{"option": value}`` chooses an option of a select or radio
    group; ``{"options": [values]}`` chooses several (checkboxes, multi-selects). A missing key
    is an empty field, as Slack sends it.
    """
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        given = values.get(block["block_id"])
        entry: dict[str, Any] = {"type": element["type"]}
        if isinstance(given, dict) and "options" in given:
            entry["selected_options"] = [_option_entry(element, v) for v in given["options"]]
        elif isinstance(given, dict):
            entry["selected_option"] = _option_entry(element, given["option"])
        elif element["type"] in ("static_select", "radio_buttons", "external_select"):
            entry["selected_option"] = None
        elif element["type"] in ("checkboxes", "multi_static_select"):
            entry["selected_options"] = []
        elif element["type"] == "datepicker":
            entry["selected_date"] = given
        elif element["type"] == "conversations_select":
            entry["selected_conversation"] = given
        else:
            entry["value"] = given
        state[block["block_id"]] = {element["action_id"]: entry}
    return state


class LocalRequests:
    """Sends commands, button clicks and form submissions as signed requests to the app."""

    def __init__(self, app: App, slack: LocalSlack, signing_secret: str):
        self.app = app
        self.slack = slack
        self.secret = signing_secret

    def send(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> BoltResponse:
        all_headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            **sign(self.secret, body, timestamp),
            **(headers or {}),
        }
        response = self.app.dispatch(BoltRequest(body=body, headers=all_headers))
        self._check_ack(response)
        return response

    def _check_ack(self, response: BoltResponse) -> None:
        """What the app acked with reaches Slack too: hold it to the same Block Kit limits."""
        if response.status != 200 or not response.body.startswith("{"):
            return
        answer = response_json(response)
        problems = ack_problems(answer) + escaping.escaping_problems(answer)
        if problems:
            self.slack.record_violation("ack", problems)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> BoltResponse:
        """Deliver an Events API callback (e.g. ``app_home_opened``). ``event_id`` and ``retry``
        send one again, as Slack retries it (``X-Slack-Retry-Num``)."""
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_counter):08d}",
            "event_time": int(time.time()),
            "event": event,
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return self.send(json.dumps(envelope), content_type="application/json", headers=headers)

    @staticmethod
    def new_trigger() -> str:
        return f"{next(_counter)}.{time.time_ns()}.trigger"

    def new_response_url(self, prefix: str) -> str:
        return self.slack.response_url(f"{prefix}-{next(_counter)}")

    def command_body(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U001",
        user_name: str | None = None,
        trigger_id: str | None = None,
        channel: str = DEFAULT_CHANNEL,
        response_url: str | None = None,
    ) -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "team_domain": "local",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user_name or user.lower(),
                "command": command,
                "text": text,
                "api_app_id": APP_ID,
                "response_url": response_url or self.new_response_url("cmd"),
                "trigger_id": trigger_id or self.new_trigger(),
            }
        )

    def command(self, command: str, text: str = "", **kwargs: Any) -> BoltResponse:
        return self.send(self.command_body(command, text, **kwargs))

    @staticmethod
    def interaction_body(payload: dict[str, Any]) -> str:
        return urlencode({"payload": json.dumps(payload)})

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> BoltResponse:
        return self.send(self.interaction_body(payload), **kwargs)

    def actor(self, user: str, user_name: str | None = None) -> dict[str, Any]:
        """The parts every interaction payload shares: who, where, and a fresh trigger."""
        name = user_name or user.lower()
        return {
            "user": {"id": user, "username": name, "name": name, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": "local"},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": self.new_trigger(),
        }

    def click_payload(
        self,
        action_id: str,
        value: str = "",
        *,
        user: str = "U001",
        user_name: str | None = None,
        block_id: str = "b",
        channel: str = DEFAULT_CHANNEL,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        response_url: str | None = None,
    ) -> dict[str, Any]:
        """What Slack sends when a button is pressed (see :meth:`click`)."""
        payload: dict[str, Any] = {"type": "block_actions", **self.actor(user, user_name)}
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": (message or {}).get("ts", "1.0"),
                "channel_id": channel,
                "is_ephemeral": message is None,
            }
            payload["channel"] = {"id": channel, "name": "general"}
            if message is not None:
                payload["message"] = message
            payload["response_url"] = response_url or self.new_response_url("act")
        payload["actions"] = [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "action_ts": str(time.time()),
            }
        ]
        return payload

    def click(self, action_id: str, value: str = "", **kwargs: Any) -> BoltResponse:
        """Press a button: in an ephemeral message (the default), a ``message``, or a ``view``."""
        return self.interaction(self.click_payload(action_id, value, **kwargs))

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        user: str = "U001",
        user_name: str | None = None,
        view_id: str | None = None,
        response_urls: list[dict[str, Any]] | None = None,
    ) -> BoltResponse:
        """Submit a modal the app opened, with ``values`` as :func:`view_state` takes them.
        ``response_urls``: what Slack adds for a form whose input asks for a response URL
        (``response_url_enabled``), each ``{"response_url", "block_id", "action_id",
        "channel_id"}``."""
        payload = {
            "type": "view_submission",
            **self.actor(user, user_name),
            "view": {
                **view,
                "id": view_id or view.get("id") or f"V{next(_counter):08d}",
                "team_id": TEAM_ID,
                "state": {"values": view_state(view, values)},
                "hash": "h1",
            },
            "response_urls": response_urls or [],
        }
        return self.interaction(payload)

    def suggestions(
        self,
        view: dict[str, Any],
        block_id: str,
        typed: str = "",
        *,
        user: str = "U001",
        user_name: str | None = None,
    ) -> dict[str, Any]:
        """Type ``typed`` into an ``external_select`` of an open modal: Slack asks the app for
        the options (``block_suggestion``); the app's whole answer (``options``, or
        ``option_groups`` with their labels)."""
        block = next(b for b in view.get("blocks", []) if b.get("block_id") == block_id)
        payload = {
            "type": "block_suggestion",
            **self.actor(user, user_name),
            "container": {"type": "view", "view_id": view.get("id")},
            "view": {**view, "team_id": TEAM_ID},
            "block_id": block_id,
            "action_id": block["element"]["action_id"],
            "value": typed,
        }
        payload.pop("trigger_id")  # Slack sends none with an options request
        return response_json(self.interaction(payload))

    def suggest(
        self,
        view: dict[str, Any],
        block_id: str,
        typed: str = "",
        *,
        user: str = "U001",
        user_name: str | None = None,
    ) -> list[dict[str, Any]]:
        """The options the app offered for ``typed`` (see ``suggestions``), groups flattened."""
        answer = self.suggestions(view, block_id, typed, user=user, user_name=user_name)
        grouped = [o for g in answer.get("option_groups") or [] for o in g.get("options") or []]
        return [*(answer.get("options") or []), *grouped]

    def close(self, view: dict[str, Any], *, user: str = "U001") -> BoltResponse:
        """Close a modal whose app asked to hear about it (``notify_on_close``)."""
        payload = {"type": "view_closed", **self.actor(user), "view": view, "is_cleared": False}
        return self.interaction(payload)
