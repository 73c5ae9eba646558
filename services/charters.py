"""Think-tank charters: the group's common goal, who does what, and its ground rules.

Any member of the think tank may write or edit the charter; the membership is checked here,
on the server, whatever the button or form claims. Evaluation polls of the think tank then ask
whether the group is moving toward *its* goal, quoting it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import Charter, Participant, Poll, ThinkTank, ThinkTankMember
from services.errors import InvalidInput, NotAllowed, NotFound
from services.participants import SlackUser
from services.text import clean_text

logger = logging.getLogger(__name__)

MAX_GOAL = 500
MAX_ROLES = 1500
MAX_RULES = 1500
GOAL_QUESTION_KEY = "goal"
# The goal as quoted in a poll question (Slack shows question texts up to 600 characters).
QUOTED_GOAL = 200


@dataclass(frozen=True)
class CharterInput:
    goal: str | None
    roles: str | None
    ground_rules: str | None


def member_of(session: Session, user: SlackUser, think_tank_id: int) -> ThinkTank:
    """The think tank, if ``user`` is one of its members; otherwise NotAllowed (NotFound for
    another workspace's, as for one that does not exist: this one's members are told no more)."""
    tank = session.get(ThinkTank, think_tank_id, options=[joinedload(ThinkTank.round)])
    if tank is not None and tank.round.team_id != user.team_id:
        logger.warning(
            "workspace %s asked for think tank #%s of another workspace", user.team_id, tank.id
        )
        tank = None
    if tank is None:
        raise NotFound("programme.tank_not_found")
    member = session.scalar(
        select(ThinkTankMember.id)
        .join(Participant, Participant.id == ThinkTankMember.participant_id)
        .where(
            ThinkTankMember.think_tank_id == think_tank_id,
            Participant.team_id == user.team_id,
            Participant.user_id == user.user_id,
        )
    )
    if member is None:
        raise NotAllowed("programme.members_only")
    return tank


def charter_of(session: Session, think_tank_id: int) -> Charter | None:
    return session.scalar(select(Charter).where(Charter.think_tank_id == think_tank_id))


def charters_of(session: Session, think_tank_ids: list[int]) -> dict[int, Charter]:
    if not think_tank_ids:
        return {}
    found = session.scalars(select(Charter).where(Charter.think_tank_id.in_(think_tank_ids)))
    return {charter.think_tank_id: charter for charter in found}


def think_tank_ids_of(session: Session, user: SlackUser, limit: int = 10) -> list[int]:
    return list(
        session.scalars(
            select(ThinkTankMember.think_tank_id)
            .join(Participant, Participant.id == ThinkTankMember.participant_id)
            .where(Participant.team_id == user.team_id, Participant.user_id == user.user_id)
            .order_by(ThinkTankMember.think_tank_id.desc())
            .limit(limit)
        )
    )


def _checked(value: str | None, field: str, limit: int) -> str:
    text = clean_text(value).strip()
    if len(text) > limit:
        raise InvalidInput("errors.too_long", field=field, limit=limit, length=len(text))
    return text


def save_charter(
    session: Session, user: SlackUser, think_tank_id: int, data: CharterInput
) -> Charter:
    """Write or edit the charter of a think tank ``user`` belongs to."""
    goal = _checked(data.goal, "goal", MAX_GOAL)
    if not goal:
        raise InvalidInput("programme.goal_required", field="goal")
    roles = _checked(data.roles, "roles", MAX_ROLES)
    rules = _checked(data.ground_rules, "ground_rules", MAX_RULES)
    member_of(session, user, think_tank_id)
    editor = session.scalar(
        select(Participant.id).where(
            Participant.team_id == user.team_id, Participant.user_id == user.user_id
        )
    )
    charter = charter_of(session, think_tank_id)
    if charter is None:
        charter = Charter(think_tank_id=think_tank_id)
        session.add(charter)
    charter.goal, charter.roles, charter.ground_rules = goal, roles, rules
    charter.updated_by_id = editor
    session.flush()
    return charter


def record_message(session: Session, charter_id: int, ts: str, pinned: bool) -> None:
    charter = session.get(Charter, charter_id)
    if charter is not None:
        charter.message_ts = ts
        charter.pinned = charter.pinned or pinned


def goal_question(goal: str) -> dict[str, Any]:
    """A 1-5 question that quotes the group's own goal (escaped where it is shown)."""
    quoted = goal if len(goal) <= QUOTED_GOAL else goal[: QUOTED_GOAL - 1].rstrip() + "…"
    return {
        "key": GOAL_QUESTION_KEY,
        "kind": "likert",
        "text": {"i18n": "programme.q_goal", "params": {"goal": quoted}},
    }


def add_goal_question(session: Session, poll: Poll) -> None:
    """Before a think tank's poll opens: ask about the group's goal, if it agreed one."""
    if poll.think_tank_id is None:
        return  # a round-wide poll spans groups with different goals
    if any(item.get("key") == GOAL_QUESTION_KEY for item in poll.questions):
        return
    charter = charter_of(session, poll.think_tank_id)
    if charter is None or not charter.goal:
        return
    poll.questions = [*poll.questions, goal_question(charter.goal)]
