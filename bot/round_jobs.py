"""Matchmaking work that runs after the ack or on a schedule, never on a listener thread:
previews delivered to facilitators, rounds carried out, scheduled matching."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from handlers import blocks, round_blocks
from i18n import t
from models.db import Database
from models.queries import find_participant
from services import matchmaking, schedules
from services.delivery import DeliveryError
from services.participants import SlackUser, language_of
from services.round_runner import RunOutcome, run_round

logger = logging.getLogger(__name__)


def channel_members(gateway: SlackGateway, channel: str) -> tuple[str, ...]:
    members: list[str] = []
    cursor = None
    while True:
        page = gateway.client.conversations_members(channel=channel, limit=1000, cursor=cursor)
        members += page.get("members", [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return tuple(members)


def deliver_preview(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    facilitator: SlackUser,
    round_settings: matchmaking.RoundSettings,
    channel: str | None = None,
) -> int | None:
    """Group the pool and send the preview to the facilitator's DM; the round id, or None."""
    try:
        if channel:
            members = channel_members(gateway, channel)
            round_settings = matchmaking.RoundSettings(
                **{**round_settings.__dict__, "channel_members": members}
            )
        with database.session() as session:
            language = language_of(
                find_participant(session, facilitator.team_id, facilitator.user_id),
                settings.default_language,
            )
            round_ = matchmaking.create_preview(
                session, facilitator, round_settings, settings.default_language
            )
            answer = round_blocks.preview_message(round_, language)
            round_id = round_.id
        dm = gateway.dm_channel(facilitator.user_id)
        ts = gateway.post(dm, answer)
        with database.session() as session:
            stored = matchmaking.load_round(session, round_id)
            stored.preview_channel, stored.preview_ts = dm, ts
        return round_id
    except DeliveryError as error:
        logger.warning("could not deliver a preview to %s: %s", facilitator.user_id, error.code)
    except Exception:
        logger.exception("matching failed for %s", facilitator.user_id)
        with contextlib.suppress(DeliveryError):
            sorry = blocks.notice(t("errors.generic", settings.default_language))
            gateway.post(gateway.dm_channel(facilitator.user_id), sorry)
    return None


def carry_out(
    database: Database, gateway: SlackGateway, settings: Settings, round_id: int
) -> RunOutcome | None:
    try:
        outcome = run_round(database, gateway, round_id, default_language=settings.default_language)
        logger.info("round %s: %s %s", round_id, outcome.status, outcome.detail)
        return outcome
    except Exception:
        logger.exception("round %s failed; it resumes on the next start or sweep", round_id)
        return None


def run_due_schedules(
    database: Database, gateway: SlackGateway, settings: Settings, now: datetime | None = None
) -> list[int]:
    """Start every due scheduled matching once; the ids of the rounds created."""
    with database.session() as session:
        due = [
            (
                SlackUser(s.team_id, s.created_by),
                s.auto_confirm,
                matchmaking.RoundSettings.from_json(s.parameters),
            )
            for s in schedules.claim_due(session, now)
        ]
    rounds = []
    for facilitator, auto_confirm, round_settings in due:
        if not auto_confirm:
            round_id = deliver_preview(database, gateway, settings, facilitator, round_settings)
        else:
            with database.session() as session:
                round_ = matchmaking.create_preview(
                    session, facilitator, round_settings, settings.default_language
                )
                round_id = matchmaking.confirm(session, round_.id, round_.version, facilitator).id
            carry_out(database, gateway, settings, round_id)
        if round_id is not None:
            rounds.append(round_id)
    return rounds
