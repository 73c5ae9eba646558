"""What every listener needs: the app's dependencies, and who is asking, in which language."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack_users import SlackDirectory
from i18n import normalize_language
from models.db import Database
from services.delivery import Gateway
from services.errors import InvalidInput
from services.local_time import zone_named
from services.outgoing import Outbound
from services.participants import (
    SenderLanguage,
    SlackUser,
    remember_slack_locale,
    sender_language,
)
from services.programme_home import ProgrammeHome

if TYPE_CHECKING:
    # Types only: handlers/ never imports bot/ at run time (bot/app.py builds these).
    from bot.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Deps:
    settings: Settings
    database: Database
    # Long work after the ack runs here, never on Bolt's listener pool.
    workers: Executor
    # The gateway for Slack calls outside a request (bot.slack_gateway.SlackGateway).
    gateway: Gateway
    # What work after the ack sends with (gateway, views, settings).
    outbound: Outbound
    # ``users.info`` with a short timeout; None where no Slack is at hand.
    directory: SlackDirectory | None = None
    # App Home's programme figures, kept a minute per team, and their chart files.
    programme_home: ProgrammeHome = field(default_factory=ProgrammeHome)

    def language(self, user: SlackUser, found: SenderLanguage | None = None) -> str:
        """The profile's language, else the Slack locale (asked once, then kept), else default.
        ``found``: what the database said already (else it is asked)."""
        if found is None:
            found = sender_language(self.database, user, self.settings.default_language)
        if found.language is not None:
            return found.language
        return self.slack_language(user, found.participant_id)

    def time_zone(self, user: SlackUser) -> ZoneInfo:
        """The zone Slack has for the person (their ``tz``), else the deployment's: the one
        their "today" and "until Friday" are counted in."""
        profile = self.directory.profile(user.user_id) if self.directory else None
        own = zone_named(profile.time_zone) if profile is not None else None
        return own or ZoneInfo(self.settings.time_zone)

    def slack_language(self, user: SlackUser, participant_id: int | None) -> str:
        """For someone whose row has no language yet: their Slack locale, kept once known."""
        default = self.settings.default_language
        # Asked outside any transaction: no database lock is held while Slack answers.
        profile = self.directory.profile(user.user_id) if self.directory else None
        if profile is None or profile.locale is None:
            return default
        if participant_id is not None:
            with self.database.session() as session:
                remember_slack_locale(session, participant_id, profile.locale)
        # Someone who only asked for help (or was just forgotten) gets no row for it.
        return normalize_language(profile.locale, default)


def user_from_command(command: dict[str, Any]) -> SlackUser:
    return SlackUser(
        team_id=str(command.get("team_id") or ""),
        user_id=str(command["user_id"]),
        name=command.get("user_name"),
    )


def user_from_interaction(body: dict[str, Any]) -> SlackUser | None:
    """The sender of an interaction; None when ``user`` is not what Slack sends (a crafted
    body), so that nothing downstream meets a user id that is a list or a number."""
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return None
    team = body.get("team")
    team_id = user.get("team_id") or (team.get("id") if isinstance(team, dict) else None) or ""
    name = user.get("username") or user.get("name")
    return SlackUser(
        team_id=team_id if isinstance(team_id, str) else "",
        user_id=user["id"],
        name=name if isinstance(name, str) else None,
    )


def read_json(value: Any, read: Callable[[Any], T]) -> T:
    """What ``read`` makes of a button value or ``private_metadata`` the bot wrote as JSON
    (nothing: ``{}``). Anything else comes only in a crafted request: a bad request, answered
    by the listener like any refusal, never a traceback (``1e309`` is JSON for infinity, and
    arithmetic on it fails with an ``ArithmeticError``, not a ``ValueError``)."""
    try:
        return read(json.loads(value or "{}"))
    except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
        raise InvalidInput("errors.bad_request") from None


def view_values(view: dict[str, Any], blocks: dict[str, str]) -> dict[str, str | None]:
    """The submitted value of each named input block (text, or the chosen option's value)."""
    state = (view.get("state") or {}).get("values") or {}
    values: dict[str, str | None] = {}
    for name, block_id in blocks.items():
        element = next(iter((state.get(block_id) or {}).values()), None) or {}
        if not isinstance(element, dict):
            element = {}
        values[name] = _element_value(element)
    return values


def open_modal(
    client: WebClient,
    respond: Respond | None,
    trigger_id: str,
    view: dict[str, Any],
    language: str,
) -> None:
    """Open a modal; if Slack refuses (expired trigger, outage), say so instead of going silent
    (where there is a response URL: a click in App Home has none, so it is only logged)."""
    # Imported here: blocks imports this module's neighbours, and i18n text is all it needs.
    from handlers.blocks import notice
    from i18n import t

    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        logger.warning("views.open failed: %s", error.response.get("error"))
        if respond is None:
            return
        respond(
            response_type="ephemeral",
            replace_original=False,
            **notice(t("errors.form_unavailable", language)),
        )


def _element_value(element: dict[str, Any]) -> str | None:
    selected = element.get("selected_option")
    if isinstance(selected, dict):
        value = selected.get("value")
    elif isinstance(element.get("selected_options"), list):
        value = ",".join(
            str(option.get("value"))
            for option in element["selected_options"]
            if isinstance(option, dict)
        )
    else:
        value = next(
            (
                element[key]
                for key in (
                    "value",
                    "selected_date",
                    "selected_conversation",
                    "selected_user",
                    "selected_channel",
                )
                if element.get(key) is not None
            ),
            None,
        )
    return value if isinstance(value, str) else None


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|^@?([UW][A-Z0-9]{2,})$")


def mentioned_user(text: str) -> str | None:
    """The user id in ``<@U123|name>`` (slash commands with escaping on) or a bare ``U123``."""
    match = _MENTION.search(text.strip())
    if not match:
        return None
    return match.group(1) or match.group(2)
