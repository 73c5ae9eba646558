"""Imported ideas offered to the Slack member who wrote them: the offer and the confirming click."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks, ids
from handlers.context import Deps, user_from_interaction
from handlers.mrkdwn import escape_within
from i18n import t
from services import claims
from services.errors import DomainError

logger = logging.getLogger(__name__)


def claim_offer_message(offer: claims.ClaimOffer, language: str) -> dict[str, Any]:
    """A DM to the member found by e-mail: which ideas, and a button to take them over."""
    titles = ", ".join("“" + escape_within(title, 100) + "”" for title in offer.titles)
    text = t(
        "importing.claim_offer",
        language,
        source=escape_within(offer.source, 100),
        titles=titles,
    )
    button = blocks.button(
        t("importing.claim_button", language),
        ids.CLAIM_IDEAS,
        str(offer.participant_id),
        "primary",
    )
    return blocks.message(
        [blocks.section(text), {"type": "actions", "elements": [button]}],
        text,
    )


def claim_ideas(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ack()
    user = user_from_interaction(body)
    language = deps.language(user)
    try:
        with deps.database.session() as session:
            count = claims.claim(session, user, int(action.get("value") or 0))
    except (DomainError, ValueError) as error:
        key = error.key if isinstance(error, DomainError) else "importing.claim_gone"
        logger.warning("refused a claim of imported ideas by %s: %s", user.user_id, key)
        respond(
            replace_original=False, response_type="ephemeral", **blocks.notice(t(key, language))
        )
        return
    respond(replace_original=True, **blocks.notice(t("importing.claimed", language, count=count)))


def register(app: App, deps: Deps) -> None:
    def on_claim(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        claim_ideas(ack, body, action, respond, deps)

    app.action(ids.CLAIM_IDEAS)(on_claim)
