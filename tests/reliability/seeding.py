"""A confirmed round of many people, built through the domain services (no Slack needed)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from models import IdeaKind, ThinkTank
from models.db import Database
from services import ideas, matchmaking, participants
from services.participants import SlackUser

FACILITATOR = "UFACIL"
THEMES = [
    "bicycle repair workshop in the library with shared tools",
    "school yard greening with trees and vegetable gardens",
    "night bus routes for shift workers in the suburbs",
    "sauna by the harbour heated with waste heat from data centres",
    "language cafe where newcomers practise Finnish with retirees",
    "repair cafe for broken phones and laptops",
    "winter swimming place with a warm changing room",
    "community composting for apartment buildings",
    "open data about snow ploughing routes in real time",
    "youth music studio in an empty shop",
]
ORG_TYPES = ["city", "company", "resident", "education", "research"]


def seed_confirmed_round(database: Database, slack: LocalSlack, people: int = 30) -> int:
    """``people`` people in themes of three, each with an idea; the confirmed round's id."""
    slack.add_user(FACILITATOR, "fasi")
    with database.session() as session:
        for number in range(people):
            user_id = f"U{number:04d}"
            slack.add_user(user_id, user_id.lower())
            user = SlackUser(TEAM_ID, user_id)
            theme = THEMES[(number // 3) % len(THEMES)]
            ideas.submit_idea(
                session,
                user,
                ideas.IdeaInput(kind=IdeaKind.IDEA, body=f"{theme}, proposal {number}"),
            )
            participants.update_profile(
                session,
                user,
                participants.ProfileUpdate(
                    f"Org {number}", ORG_TYPES[number % len(ORG_TYPES)], "en"
                ),
            )
        facilitator = SlackUser(TEAM_ID, FACILITATOR)
        settings = matchmaking.RoundSettings(min_size=3, max_size=3, min_distinct=1)
        preview = matchmaking.create_preview(session, facilitator, settings)
        return matchmaking.confirm(session, preview.id, preview.version, facilitator).id


def marked(slack: LocalSlack, prefix: str) -> Counter[str]:
    """How many messages carry each marker starting with ``prefix`` (exactly-once checks)."""
    found: Counter[str] = Counter()
    for messages in slack.history.values():
        for message in messages:
            payload: dict[str, Any] = (message.get("metadata") or {}).get("event_payload") or {}
            marker = str(payload.get("marker", ""))
            if marker.startswith(prefix):
                found[marker] += 1
    return found


def tanks_of(database: Database, round_id: int) -> list[ThinkTank]:
    with database.session() as session:
        tanks = list(session.scalars(select(ThinkTank).where(ThinkTank.round_id == round_id)))
        session.expunge_all()
        return tanks
