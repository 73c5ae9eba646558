"""The tests' handle on the real Bolt app: signed requests (shared with the console), plus
helpers to read what the app answered."""

from __future__ import annotations

from typing import Any

from bot.local_requests import LocalRequests, response_json, sign

__all__ = ["SlackDriver", "response_json", "sign", "text_of"]


class SlackDriver(LocalRequests):
    """Sends commands, button clicks and form submissions as signed requests to the app."""

    def last_opened_view(self) -> dict[str, Any]:
        return self.slack.wait_for("views.open")[-1]["view"]


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
