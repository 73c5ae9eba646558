"""Block Kit for the offer of imported ideas to the Slack member with the same e-mail."""

from __future__ import annotations

from typing import Any

from handlers import blocks, ids
from handlers.mrkdwn import escape_within
from i18n import t
from services.claims import ClaimOffer


def claim_offer_message(offer: ClaimOffer, language: str) -> dict[str, Any]:
    """A DM: which ideas, and two buttons: take them over, or say they are not yours."""
    titles = ", ".join("“" + escape_within(title, 100) + "”" for title in offer.titles)
    text = t(
        "importing.claim_offer",
        language,
        source=escape_within(offer.source, 100),
        titles=titles,
    )
    value = str(offer.participant_id)
    confirm = blocks.button(
        t("importing.claim_button", language), ids.CLAIM_IDEAS, value, "primary"
    )
    decline = blocks.button(t("importing.claim_decline_button", language), ids.CLAIM_DECLINE, value)
    return blocks.message(
        [blocks.section(text), {"type": "actions", "elements": [confirm, decline]}], text
    )
