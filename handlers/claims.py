"""Imported ideas offered to the Slack member who wrote them: the offer when someone joins, and
the click that takes the ideas over or declines them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks, ids
from handlers.context import Deps
from handlers.listening import Person, listener, run_after_ack
from i18n import t
from services import claims
from services.record_ids import carried_id

logger = logging.getLogger(__name__)


def _participant_id(action: dict[str, Any]) -> int:
    # A value the bot did not write names no offer: the offer is gone, as for a stale button.
    return carried_id(action.get("value"), "importing.claim_gone")


def claim_ideas(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """The member's click: their imported ideas become theirs (only the member it was offered to)."""
    ack()
    participant_id = _participant_id(action)
    with deps.database.session() as session:
        count = claims.claim(session, person.user, participant_id)
    text = t("importing.claimed", person.language, count=count)
    respond(replace_original=True, **blocks.notice(text))


def decline_claim(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """ "Not mine": the ideas stay with the imported name and are not offered to them again."""
    ack()
    participant_id = _participant_id(action)
    with deps.database.session() as session:
        claims.decline(session, person.user, participant_id)
    respond(replace_original=True, **blocks.notice(t("importing.claim_declined", person.language)))


def offer_imported_ideas(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """``team_join``: someone new whose e-mail an imported author had is offered those ideas.

    The event's user carries ``profile.email`` when the app has ``users:read.email``; without
    it the profile is asked for. The offer is made after the ack (Slack calls)."""
    member = event.get("user")
    if not isinstance(member, dict) or not isinstance(member.get("id"), str):
        return
    if member.get("is_bot") or member.get("deleted"):
        return
    profile = member.get("profile")
    email = profile.get("email") if isinstance(profile, dict) else None
    team_id = body.get("team_id") or member.get("team_id")
    if not isinstance(team_id, str) or not team_id:
        return
    run_after_ack(
        deps,
        claims.offer_to_member,
        deps.outbound,
        team_id,
        member["id"],
        email if isinstance(email, str) else None,
        what=f"offer of imported ideas to {member['id']}, who joined",
        person=None,
    )


def register(app: App, deps: Deps) -> None:
    app.action(ids.CLAIM_IDEAS)(listener(claim_ideas))
    app.action(ids.CLAIM_DECLINE)(listener(decline_claim))
    app.event("team_join")(listener(offer_imported_ideas))
