"""Offline participants' ideas become a Slack member's, once that member confirms.

A member is found by e-mail in two ways: after an import, each imported author with an e-mail
is looked up in Slack (``users.lookupByEmail``); when someone joins the workspace
(``team_join``), their e-mail is matched against the imported authors'. Either way the member
gets one DM with the ideas' titles, sent through ``services.delivery`` under the key
``claim:<participant id>:<member>``, so the same offer never goes out twice (a second import, a
replayed event). Only that member's click moves the ideas; a "not mine" is remembered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from models import Idea, IdeaCoauthor, Participant
from services.delivery import DeliveryError, Recipient, Status, deliver
from services.errors import NotAllowed, NotFound
from services.outgoing import Outbound, person_language
from services.participants import SlackUser, ensure_participant

logger = logging.getLogger(__name__)

MAX_TITLES = 5


@dataclass(frozen=True)
class ClaimOffer:
    participant_id: int
    slack_user_id: str
    titles: tuple[str, ...]
    source: str


def _offline(team_id: str) -> Any:
    return (
        (Participant.team_id == team_id)
        & Participant.is_offline.is_(True)
        & Participant.forgotten_at.is_(None)
    )


def unclaimed_with_email(session: Session, team_id: str) -> list[Participant]:
    """Offline participants of a team with an e-mail, not offered to anyone nor declined."""
    return list(
        session.scalars(
            select(Participant)
            .where(
                _offline(team_id),
                Participant.email.is_not(None),
                Participant.claim_offered_to.is_(None),
                Participant.claim_declined_by.is_(None),
            )
            .order_by(Participant.id)
        )
    )


def offline_with_email(session: Session, team_id: str, email: str, member: str) -> list[int]:
    """Offline participants with this e-mail (imports keep e-mails in lower case) whose ideas
    ``member`` has not declined."""
    return list(
        session.scalars(
            select(Participant.id)
            .where(
                _offline(team_id),
                Participant.email == email.strip().lower(),
                or_(
                    Participant.claim_declined_by.is_(None), Participant.claim_declined_by != member
                ),
            )
            .order_by(Participant.id)
        )
    )


def record_offer(session: Session, participant_id: int, slack_user_id: str) -> None:
    """Remember whom the ideas were offered to (once the offer has reached them)."""
    person = session.get(Participant, participant_id)
    if person is None or not person.is_offline:
        raise NotFound("importing.claim_gone")
    person.claim_offered_to = slack_user_id


def offer_for(session: Session, participant_id: int, slack_user_id: str) -> ClaimOffer:
    """What to show the member found by e-mail: the titles of the ideas, and their source."""
    ideas = session.scalars(
        select(Idea).where(Idea.author_id == participant_id).order_by(Idea.id).limit(MAX_TITLES)
    ).all()
    return ClaimOffer(
        participant_id=participant_id,
        slack_user_id=slack_user_id,
        titles=tuple(idea.title for idea in ideas),
        source=next((idea.source for idea in ideas if idea.source), "file"),
    )


def _offered_to(session: Session, user: SlackUser, participant_id: int) -> Participant:
    """The offline participant whose ideas were offered to ``user``, else a refusal."""
    person = session.get(Participant, participant_id)
    if person is None or not person.is_offline or person.team_id != user.team_id:
        raise NotFound("importing.claim_gone")
    # No e-mail left: claimed already (or its owner was forgotten).
    if person.claim_offered_to is None or person.email is None:
        raise NotFound("importing.claim_gone")
    if person.claim_offered_to != user.user_id:
        raise NotAllowed("importing.claim_not_yours")
    return person


def claim(session: Session, user: SlackUser, participant_id: int) -> int:
    """Move the offline participant's ideas (and co-authorships) to ``user``; how many ideas."""
    person = _offered_to(session, user, participant_id)
    member = ensure_participant(session, user)
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Idea).where(Idea.author_id == person.id).values(author_id=member.id)
        ),
    ).rowcount
    session.execute(
        update(IdeaCoauthor)
        .where(IdeaCoauthor.participant_id == person.id)
        .values(participant_id=member.id)
    )
    # The offline row stays as a tombstone (think tanks and polls may point at it), still
    # naming the member it went to, so that forgetting the member reaches it too.
    person.email = None
    person.display_name = member.display_name or person.display_name
    session.flush()
    session.expire_all()
    return int(moved or 0)


def decline(session: Session, user: SlackUser, participant_id: int) -> None:
    """``user`` says the ideas are not theirs: they stay with the imported name, never offered
    to ``user`` again."""
    person = _offered_to(session, user, participant_id)
    person.claim_offered_to = None
    person.claim_declined_by = user.user_id


# -- offering, outside a request -------------------------------------------------------------


def claim_key(participant_id: int, slack_user_id: str) -> str:
    """The send key of one offer: never the made-up id, which must not reach Slack even as a
    message's metadata."""
    return f"claim:{participant_id}:{slack_user_id}"


def offer_claim(out: Outbound, team_id: str, participant_id: int, slack_user_id: str) -> bool:
    """DM the member the offer of an offline participant's ideas, at most once ever; True when
    this call sent it."""
    language = person_language(out, team_id, slack_user_id)
    with out.database.session() as session:
        offer = offer_for(session, participant_id, slack_user_id)
    outcome = deliver(
        out.database,
        out.gateway,
        out.views.claim_offer(offer, language),
        Recipient(user_id=slack_user_id, team_id=team_id),
        key=claim_key(participant_id, slack_user_id),
        holder=out.holder,
    )
    if not outcome.delivered:
        logger.warning(
            "offer of participant %s's ideas to %s: %s",
            participant_id,
            slack_user_id,
            outcome.code or outcome.status,
        )
        return False
    with out.database.session() as session:
        # Recorded once delivered: an offer that failed is made again later.
        record_offer(session, participant_id, slack_user_id)
    return outcome.status is Status.SENT


def offer_to_member(out: Outbound, team_id: str, user_id: str, email: str | None = None) -> int:
    """Someone joined the workspace: offer them the ideas of imported authors with their e-mail
    (from the ``team_join`` event, else from their Slack profile); how many offers were sent."""
    email = email or out.gateway.user_email(user_id)
    if not email:
        return 0
    with out.database.session() as session:
        matching = offline_with_email(session, team_id, email, user_id)
    return sum(offer_claim(out, team_id, participant_id, user_id) for participant_id in matching)


def offer_by_email(out: Outbound, team_id: str) -> int:
    """After an import: look each imported author's e-mail up in Slack and offer their ideas to
    the member found; how many offers were sent."""
    with out.database.session() as session:
        people = [(p.id, p.email) for p in unclaimed_with_email(session, team_id) if p.email]
    offered = 0
    for participant_id, email in people:
        try:
            member = out.gateway.find_user_by_email(email)
        except DeliveryError as error:
            logger.warning("could not look up participant %s in Slack: %s", participant_id, error)
            continue
        if member is not None:
            offered += offer_claim(out, team_id, participant_id, member)
    return offered
