"""The one error handler: log with context, and tell the person something went wrong."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond

from handlers import blocks
from handlers.context import Deps
from i18n import t

logger = logging.getLogger(__name__)


def _describe(body: dict[str, Any]) -> str:
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    what = (
        body.get("command")
        or body.get("callback_id")
        or (body.get("view") or {}).get("callback_id")
    )
    actions = body.get("actions") or []
    if actions:
        what = actions[0].get("action_id")
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return f"{kind} {what} from {user}"


def register(app: App, deps: Deps) -> None:
    """Register last: the catch-alls answer whatever no other listener claimed."""

    @app.action(re.compile(".+", re.DOTALL))
    def unknown_action(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        logger.warning("unknown action: %s", _describe(body))
        text = t("errors.bad_request", deps.settings.default_language)
        respond(response_type="ephemeral", replace_original=False, **blocks.notice(text))

    @app.view(re.compile(".+", re.DOTALL))
    def unknown_view(ack: Ack, body: dict[str, Any]) -> None:
        logger.warning("unknown form: %s", _describe(body))
        text = t("errors.bad_request", deps.settings.default_language)
        ack(
            response_action="update",
            view=blocks.done_modal(":warning:", text, deps.settings.default_language),
        )

    @app.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> None:
        logger.exception("failed to handle %s", _describe(body or {}), exc_info=error)
        if response is None:
            return  # already acknowledged; nothing more can be said in this response
        language = deps.settings.default_language
        text = t("errors.generic", language)
        if (body or {}).get("type") == "view_submission":
            payload: dict[str, Any] = {
                "response_action": "update",
                "view": blocks.done_modal(":warning:", text, language),
            }
        else:
            payload = {"response_type": "ephemeral", **blocks.notice(text)}
        response.status = 200
        response.body = json.dumps(payload)
        response.headers["content-type"] = ["application/json;charset=utf-8"]
