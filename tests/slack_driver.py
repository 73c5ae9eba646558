"""The tests' handle on the real Bolt app: signed requests (shared with the console), plus
helpers to read what the app answered."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import BoltResponse

from bot.local.console import WatchedPools
from bot.local.requests import LocalRequests, response_json, sign

__all__ = ["SlackDriver", "finished", "response_json", "sign", "text_of"]


class SlackDriver(LocalRequests):
    """Sends commands, button clicks and form submissions as signed requests to the app."""

    def message_shortcut(
        self,
        callback_id: str,
        text: str,
        *,
        user: str = "U001",
        channel: str = "C001",
        ts: str = "1700000000.000100",
        author: str = "U002",
        response_url: str | None = None,
    ) -> BoltResponse:
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            **self.actor(user),
            "channel": {"id": channel, "name": "general"},
            "message": {"type": "message", "user": author, "ts": ts, "text": text},
            "message_ts": ts,
            "response_url": response_url or self.new_response_url("sc"),
        }
        return self.interaction(payload)

    def command_view(self, command: str, text: str = "", **kwargs: Any) -> dict[str, Any]:
        """Send a command that opens a form, and return that form (opened after the ack)."""
        opened = len(self.slack.calls_to("views.open"))
        self.command(command, text, **kwargs)
        return self.slack.wait_for("views.open", opened + 1)[-1]["view"]

    def click_replies(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """What the app said through the response URLs of button clicks (not of commands)."""
        deadline = time.monotonic() + timeout
        while True:
            replies = [
                call
                for call in self.slack.calls_to("response_url")
                if str(call.get("_key", "")).startswith("act-")
            ]
            if len(replies) >= count or time.monotonic() > deadline:
                assert len(replies) >= count, f"expected {count} click replies, got {replies}"
                return replies
            time.sleep(0.01)

    def send(self, body: str, **options: Any) -> BoltResponse:
        # Forms open after the ack: remember how many were open, so that ``last_opened_view``
        # waits for the one this request opens instead of returning the one before.
        self._views_before = len(self.slack.calls_to("views.open"))
        return super().send(body, **options)

    def last_opened_view(self) -> dict[str, Any]:
        """The form the last request opened (awaited: it is opened after the ack)."""
        wanted = getattr(self, "_views_before", 0) + 1
        return self.slack.wait_for("views.open", count=wanted)[-1]["view"]


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


def finished(pools: WatchedPools, timeout: float = 10.0) -> None:
    """Until the app's pools have finished the work of the requests sent so far."""
    deadline = time.monotonic() + timeout
    while pools.busy:
        assert time.monotonic() < deadline, "work after the ack did not finish"
        time.sleep(0.01)
