"""Imported ideas offered to the Slack member who wrote them: the offer and the confirming click."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks, ids
from handlers.context import Deps
from handlers.listening import Person, listener
from handlers.mrkdwn import escape_within
from i18n import t
from services import claims
from services.errors import InvalidInput

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
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """The member's click: their imported ideas become theirs (only the member it was offered to)."""
    ack()
    try:
        participant_id = int(action.get("value") or 0)
    except ValueError:
        raise InvalidInput("importing.claim_gone") from None
    with deps.database.session() as session:
        count = claims.claim(session, person.user, participant_id)
    text = t("importing.claimed", person.language, count=count)
    respond(replace_original=True, **blocks.notice(text))


def register(app: App, deps: Deps) -> None:
    app.action(ids.CLAIM_IDEAS)(listener(claim_ideas))
