"""Offline participants' ideas become a Slack member's, once that member confirms.

An imported author with an e-mail is looked up in Slack (``users.lookupByEmail``, done by the
caller); the member found is offered the ideas, and only that member's click moves them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Idea, IdeaCoauthor, Participant
from services.errors import NotAllowed, NotFound
from services.participants import SlackUser, ensure_participant

MAX_TITLES = 5


@dataclass(frozen=True)
class ClaimOffer:
    participant_id: int
    slack_user_id: str
    titles: tuple[str, ...]
    source: str


def unclaimed_with_email(session: Session, team_id: str) -> list[Participant]:
    """Offline participants of a team with an e-mail, not yet offered to anyone."""
    return list(
        session.scalars(
            select(Participant)
            .where(
                Participant.team_id == team_id,
                Participant.is_offline.is_(True),
                Participant.email.is_not(None),
                Participant.claim_offered_to.is_(None),
                Participant.forgotten_at.is_(None),
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


def claim(session: Session, user: SlackUser, participant_id: int) -> int:
    """Move the offline participant's ideas (and co-authorships) to ``user``; how many ideas."""
    person = session.get(Participant, participant_id)
    if person is None or not person.is_offline or person.team_id != user.team_id:
        raise NotFound("importing.claim_gone")
    if person.claim_offered_to is None:
        raise NotFound("importing.claim_gone")
    if person.claim_offered_to != user.user_id:
        raise NotAllowed("importing.claim_not_yours")
    member = ensure_participant(session, user)
    moved = session.execute(
        update(Idea).where(Idea.author_id == person.id).values(author_id=member.id)
    ).rowcount
    session.execute(
        update(IdeaCoauthor)
        .where(IdeaCoauthor.participant_id == person.id)
        .values(participant_id=member.id)
    )
    # The offline row stays as a tombstone (think tanks and polls may point at it).
    person.claim_offered_to = None
    person.email = None
    person.display_name = member.display_name or person.display_name
    session.flush()
    session.expire_all()
    return int(moved or 0)
