"""What every listener needs: the app's dependencies, and who is asking, in which language."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from models.db import Database
from models.queries import find_participant
from services.participants import SlackUser, language_of


@dataclass(frozen=True)
class Deps:
    settings: Settings
    database: Database
    # Long work after the ack runs here, never on Bolt's listener pool.
    workers: Executor

    def language(self, user: SlackUser) -> str:
        with self.database.session() as session:
            participant = find_participant(session, user.team_id, user.user_id)
            return language_of(participant, self.settings.default_language)


def user_from_command(command: dict[str, Any]) -> SlackUser:
    return SlackUser(
        team_id=str(command.get("team_id") or ""),
        user_id=str(command["user_id"]),
        name=command.get("user_name"),
    )


def user_from_interaction(body: dict[str, Any]) -> SlackUser:
    user = body["user"]
    team = user.get("team_id") or (body.get("team") or {}).get("id") or ""
    return SlackUser(
        team_id=str(team), user_id=str(user["id"]), name=user.get("username") or user.get("name")
    )


def view_values(view: dict[str, Any], blocks: dict[str, str]) -> dict[str, str | None]:
    """The submitted value of each named input block (text, or the chosen option's value)."""
    state = (view.get("state") or {}).get("values") or {}
    values: dict[str, str | None] = {}
    for field, block_id in blocks.items():
        element = next(iter((state.get(block_id) or {}).values()), None) or {}
        if not isinstance(element, dict):
            element = {}
        selected = element.get("selected_option")
        value = selected.get("value") if isinstance(selected, dict) else element.get("value")
        values[field] = value if isinstance(value, str) else None
    return values
