"""Matchmaking work that runs after the ack or on a schedule, never on a listener thread:
previews delivered to facilitators, rounds carried out, scheduled matching."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from i18n import t
from services import matchmaking, schedules
from services.delivery import DeliveryError, Recipient, Upload, deliver, deliver_file
from services.errors import NotFound
from services.outgoing import Outbound, person_language
from services.participants import SlackUser
from services.round_runner import RunOutcome, run_round, unfinished_rounds

logger = logging.getLogger(__name__)


def _preview_key(round_id: int) -> str:
    return f"collider-preview-{round_id}"


# What Slack answers when the bot may not read a channel's members, and what to tell the
# facilitator: a way out, in their language, instead of "something went wrong".
CHANNEL_ERRORS = {
    "channel_not_found": "rounds.channel_not_found",
    "not_in_channel": "rounds.channel_not_in",
    "missing_scope": "rounds.channel_missing_scope",
}


def deliver_preview(
    out: Outbound,
    facilitator: SlackUser,
    round_settings: matchmaking.RoundSettings,
    channel: str | None = None,
) -> int | None:
    """Group the pool and send the preview to the facilitator's DM; the round id, or None."""
    default_language = out.settings.default_language
    # First, so that whatever fails below is said in their language too.
    language = person_language(out, facilitator.team_id, facilitator.user_id)
    try:
        if channel:
            members = out.gateway.channel_members(channel)
            round_settings = matchmaking.RoundSettings(
                **{**round_settings.__dict__, "channel_members": members}
            )
        with out.database.session() as session:
            round_ = matchmaking.create_preview(
                session, facilitator, round_settings, default_language
            )
            answer = out.views.preview(round_, language)
            round_id = round_.id
    except DeliveryError as error:
        logger.warning("could not read the members of %s: %s", channel, error.code)
        key = CHANNEL_ERRORS.get(error.code, "errors.generic")
        _say_sorry(out, facilitator, t(key, language, channel=f"<#{channel}>"))
        return None
    except Exception:
        logger.exception("matching failed for %s", facilitator.user_id)
        _say_sorry(out, facilitator, t("errors.generic", language))
        return None
    to = Recipient(user_id=facilitator.user_id, team_id=facilitator.team_id)
    outcome = deliver(
        out.database, out.gateway, answer, to, key=_preview_key(round_id), holder=out.holder
    )
    if not outcome.delivered:
        logger.warning("could not deliver a preview to %s: %s", facilitator.user_id, outcome.code)
        return None
    with out.database.session() as session:
        stored = matchmaking.load_round(session, round_id)
        stored.preview_channel, stored.preview_ts = outcome.channel, outcome.ts
    return round_id


def deliver_preview_file(out: Outbound, facilitator: SlackUser, round_id: int) -> None:
    """Every group of a preview as a text file in the facilitator's DM (*Send everything as a
    file*, when the preview could only count some groups). A failure is said to them."""
    language = person_language(out, facilitator.team_id, facilitator.user_id)
    with out.database.session() as session:
        round_ = matchmaking.load_round(session, round_id)
        if round_.team_id != facilitator.team_id:
            raise NotFound("rounds.not_found")
        text = out.views.preview_text(round_, language)
    title = t("rounds.preview_file_title", language, round=round_id)
    to = Recipient(user_id=facilitator.user_id, team_id=facilitator.team_id)
    upload = Upload(text.encode(), f"preview-{round_id}.txt", title)
    shared = deliver_file(out.gateway, upload, to)
    if not shared.delivered:
        logger.warning("could not share preview %s: %s", round_id, shared.code)
        _say_sorry(out, facilitator, t("errors.file_not_sent", language))


def _say_sorry(out: Outbound, person: SlackUser, text: str) -> None:
    """Tell someone their request failed (best effort: a failure here is only logged)."""
    sorry = out.views.notice(text)
    to = Recipient(user_id=person.user_id, team_id=person.team_id)
    outcome = deliver(out.database, out.gateway, sorry, to, key=None)
    if not outcome.delivered:
        logger.warning("could not tell %s about a failure: %s", person.user_id, outcome.code)


def carry_out(out: Outbound, round_id: int) -> RunOutcome | None:
    try:
        outcome = run_round(out, round_id)
        logger.info("round %s: %s %s", round_id, outcome.status, outcome.detail)
        return outcome
    except Exception:
        logger.exception("round %s failed; it resumes on the next start or sweep", round_id)
        return None


def resume_unfinished_rounds(out: Outbound) -> list[RunOutcome | None]:
    """Carry on with confirmed rounds that stopped half-way (a crash, a restart, an outage)."""
    return [carry_out(out, round_id) for round_id in unfinished_rounds(out.database)]


def run_due_schedules(out: Outbound, now: datetime | None = None) -> list[int]:
    """Start every due scheduled matching once; the ids of the rounds created."""
    default_language = out.settings.default_language
    with out.database.session() as session:
        due = [
            (
                SlackUser(s.team_id, s.created_by),
                s.auto_confirm,
                matchmaking.RoundSettings.from_json(s.parameters),
            )
            for s in schedules.claim_due(session, ZoneInfo(out.settings.time_zone), now)
        ]
    rounds = []
    for facilitator, auto_confirm, round_settings in due:
        if not auto_confirm:
            round_id = deliver_preview(out, facilitator, round_settings)
        else:
            with out.database.session() as session:
                round_ = matchmaking.create_preview(
                    session, facilitator, round_settings, default_language
                )
                round_id = matchmaking.confirm(session, round_.id, round_.version, facilitator).id
            carry_out(out, round_id)
        if round_id is not None:
            rounds.append(round_id)
    return rounds
