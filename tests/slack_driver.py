"""Drives the real Bolt app the way Slack does: signed HTTP-style requests, real payloads."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse

from bot.local_slack import TEAM_ID, LocalSlack

_counter = itertools.count(1)


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": signature}


class SlackDriver:
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
        all_headers = {
            "content-type": content_type,
            **sign(self.secret, body, timestamp),
            **(headers or {}),
        }
        return self.app.dispatch(BoltRequest(body=body, headers=all_headers))

    @staticmethod
    def new_trigger() -> str:
        return f"{next(_counter)}.{time.time_ns()}.trigger"

    def command_body(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U001",
        trigger_id: str | None = None,
        channel: str = "C001",
    ) -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "team_domain": "local",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0COLLIDER",
                "response_url": self.slack.response_url(f"cmd-{next(_counter)}"),
                "trigger_id": trigger_id or self.new_trigger(),
            }
        )

    def command(self, command: str, text: str = "", **kwargs: Any) -> BoltResponse:
        return self.send(self.command_body(command, text, **kwargs))

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> BoltResponse:
        return self.send(urlencode({"payload": json.dumps(payload)}), **kwargs)

    def _actor(self, user: str) -> dict[str, Any]:
        return {
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "team": {"id": TEAM_ID, "domain": "local"},
            "api_app_id": "A0COLLIDER",
            "token": "legacy-verification-token",
            "trigger_id": self.new_trigger(),
        }

    def click(
        self, action_id: str, value: str = "", *, user: str = "U001", block_id: str = "b"
    ) -> BoltResponse:
        payload = {
            "type": "block_actions",
            **self._actor(user),
            "container": {
                "type": "message",
                "message_ts": "1.0",
                "channel_id": "C001",
                "is_ephemeral": True,
            },
            "channel": {"id": "C001", "name": "general"},
            "response_url": self.slack.response_url(f"act-{next(_counter)}"),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        return self.interaction(payload)

    def message_shortcut(
        self,
        callback_id: str,
        text: str,
        *,
        user: str = "U001",
        channel: str = "C001",
        ts: str = "1700000000.000100",
        author: str = "U002",
    ) -> BoltResponse:
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            **self._actor(user),
            "channel": {"id": channel, "name": "general"},
            "message": {"type": "message", "user": author, "ts": ts, "text": text},
            "message_ts": ts,
            "response_url": self.slack.response_url(f"sc-{next(_counter)}"),
        }
        return self.interaction(payload)

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        user: str = "U001",
        view_id: str | None = None,
    ) -> BoltResponse:
        """Submit a modal the app opened, with ``values`` keyed by block id.

        A string fills a text input; ``{"option": value}`` chooses an option.
        """
        state: dict[str, Any] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            given = values.get(block["block_id"])
            if isinstance(given, dict):
                chosen = {
                    "text": {"type": "plain_text", "text": given["option"]},
                    "value": given["option"],
                }
                entry = {"type": element["type"], "selected_option": chosen}
            elif element["type"] == "datepicker":
                entry = {"type": "datepicker", "selected_date": given}
            else:
                entry = {"type": element["type"], "value": given}
            state[block["block_id"]] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission",
            **self._actor(user),
            "view": {
                **view,
                "id": view_id or view.get("id") or f"V{next(_counter):08d}",
                "team_id": TEAM_ID,
                "state": {"values": state},
                "hash": "h1",
            },
        }
        return self.interaction(payload)

    def event(self, event: dict[str, Any]) -> BoltResponse:
        """Deliver an Events API callback (e.g. ``app_home_opened``)."""
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0COLLIDER",
            "type": "event_callback",
            "event_id": f"Ev{next(_counter):08d}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.send(json.dumps(envelope), content_type="application/json")

    def command_view(self, command: str, text: str = "", **kwargs: Any) -> dict[str, Any]:
        """Send a command that opens a form, and return that form (opened after the ack)."""
        opened = len(self.slack.calls_to("views.open"))
        self.command(command, text, **kwargs)
        return self.slack.wait_for("views.open", opened + 1)[-1]["view"]

    def last_opened_view(self) -> dict[str, Any]:
        return self.slack.wait_for("views.open")[-1]["view"]


def response_json(response: BoltResponse) -> dict[str, Any]:
    return json.loads(response.body) if response.body else {}


def text_of(message: dict[str, Any], *, formatted_only: bool = False) -> str:
    """Everything a person would read in a message or view: text plus all block texts.

    ``formatted_only`` keeps what Slack parses for mentions and links (the notification text
    and mrkdwn), leaving out plain_text, which Slack never turns into a ping.
    """
    parts: list[str] = [str(message.get("text") or "")]
    kinds = ("mrkdwn",) if formatted_only else ("mrkdwn", "plain_text")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in kinds and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)
