"""Who may run matchmaking: configured ids, workspace admins and owners, and those added in Slack."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Facilitator
from models.queries import insert_ignoring_conflict
from services.errors import InvalidInput
from services.participants import SlackUser


def is_facilitator(
    session: Session, configured: frozenset[str], user: SlackUser, *, workspace_admin: bool
) -> bool:
    if workspace_admin or user.user_id in configured:
        return True
    return (
        session.scalar(
            select(Facilitator.id).where(
                Facilitator.team_id == user.team_id, Facilitator.user_id == user.user_id
            )
        )
        is not None
    )


def add_facilitator(session: Session, actor: SlackUser, user_id: str) -> None:
    if not user_id:
        raise InvalidInput("rounds.facilitator_usage")
    insert_ignoring_conflict(
        session,
        Facilitator.__table__,  # type: ignore[arg-type]
        {"team_id": actor.team_id, "user_id": user_id, "added_by": actor.user_id},
    )


def remove_facilitator(session: Session, actor: SlackUser, user_id: str) -> None:
    if not user_id:
        raise InvalidInput("rounds.facilitator_usage")
    session.execute(
        delete(Facilitator).where(
            Facilitator.team_id == actor.team_id, Facilitator.user_id == user_id
        )
    )


def facilitator_ids(session: Session, team_id: str, configured: frozenset[str]) -> list[str]:
    added = session.scalars(select(Facilitator.user_id).where(Facilitator.team_id == team_id))
    return sorted(set(added) | set(configured))
