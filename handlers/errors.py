"""The one error handler, and the catch-alls for requests no other listener claimed.

Refusals (``DomainError``) are answered by ``handlers.listening.listener``; what reaches the error
handler is a failure: logged with context, and the person hears, in their language, that
something went wrong.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond

from handlers import blocks
from handlers.context import Deps
from handlers.listening import Person, describe, listener
from i18n import t

logger = logging.getLogger(__name__)


def unknown_action(ack: Ack, body: dict[str, Any], respond: Respond, person: Person) -> None:
    ack()
    logger.warning("unknown action: %s", describe(body))
    text = t("errors.bad_request", person.language)
    respond(response_type="ephemeral", replace_original=False, **blocks.notice(text))


def unknown_view(ack: Ack, body: dict[str, Any], person: Person) -> None:
    logger.warning("unknown form: %s", describe(body))
    text = t("errors.bad_request", person.language)
    ack(response_action="update", view=blocks.done_modal(":warning:", text, person.language))


def answer_failure(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    context: dict[str, Any],
) -> None:
    """Bolt's error handler: ``response`` is None once the listener has acknowledged."""
    body = body or {}
    deps: Deps | None = context.get("deps")
    person: Person | None = context.get("person")
    default = deps.settings.default_language if deps else "en"
    logger.exception("failed to handle %s", describe(body), exc_info=error)
    payload = _apology(body, person.language if person else default, response)
    if response is None or payload is None:
        return  # already acknowledged; nothing more can be said in this response
    response.status = 200
    response.body = json.dumps(payload)
    response.headers["content-type"] = ["application/json;charset=utf-8"]


def _apology(
    body: dict[str, Any], language: str, response: BoltResponse | None
) -> dict[str, Any] | None:
    if response is None:
        return None
    text = t("errors.generic", language)
    if body.get("type") == "view_submission":
        return {"response_action": "update", "view": blocks.done_modal(":warning:", text, language)}
    return {"response_type": "ephemeral", **blocks.notice(text)}


def register(app: App, deps: Deps) -> None:
    """Register last: the catch-alls answer whatever no other listener claimed."""
    app.action(re.compile(".+", re.DOTALL))(listener(unknown_action))
    app.view(re.compile(".+", re.DOTALL))(listener(unknown_view))
    app.error(answer_failure)
