"""Poll work that runs on the scheduler or after an ack: the sweep that plans, opens, delivers,
reminds and closes polls, and facilitator reports.

Every message to a person goes through ``scheduler.outbox.send_once`` under a key naming that one
occurrence (``poll:{poll}:to:{participant}``, ``poll:{poll}:remind:{participant}``), so a sweep
that runs twice, in two processes, or again after a crash never sends it twice. Slack errors:
429 and 5xx are retried by the client's handlers; what is left and temporary is tried again by
later sweeps with a growing pause (``services.polls.backoff``); a permanent failure marks only
that person's delivery failed, the others go on, and the poll's creator gets one list of them.
A poll post that broke off (a timeout: Slack may have posted it) is in doubt: it carries its send
key as a metadata marker, and a sweep a minute later looks for it in the DM (``settle_in_doubt``)
and marks it sent, or sends it again if it is not there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.poll_chart import report_chart
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from handlers import blocks, poll_blocks
from i18n import t
from models import DeliveryState, Poll, PollDelivery, PollState
from models.base import utcnow
from models.db import Database
from models.queries import find_participant
from models.scheduling import ScheduledSend
from scheduler.outbox import NotDelivered, SendOutcome, mark_failed, mark_sent, send_once
from services import poll_reports, polls
from services.delivery import DeliveryError
from services.errors import DomainError
from services.participants import SlackUser, language_of

logger = logging.getLogger(__name__)

# A claim left in "sending" this long belongs to a process that died mid-send.
IN_DOUBT_AFTER = timedelta(minutes=5)
# What ``deliver`` says when another run (another process) had already sent it.
SENT_ELSEWHERE = "sent_elsewhere"


@dataclass
class SweepResult:
    planned: int = 0
    opened: list[int] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    reminded: int = 0
    closed: list[int] = field(default_factory=list)


class _InDoubt(Exception):
    """The connection broke while posting: the message may have gone out."""


def _post_to(gateway: SlackGateway, user_id: str, message: dict, marker: str | None = None) -> str:
    try:
        channel = gateway.dm_channel(user_id)
    except DeliveryError as error:
        raise NotDelivered(
            f"{'permanent' if error.permanent else 'temporary'}:{error.code}"
        ) from error
    try:
        ts = gateway.post(channel, message, marker)
    except DeliveryError as error:
        if error.code.startswith("connection"):
            raise _InDoubt(error.code) from error
        raise NotDelivered(
            f"{'permanent' if error.permanent else 'temporary'}:{error.code}"
        ) from error
    return f"{channel} {ts}"


def _outbox_row(database: Database, key: str) -> ScheduledSend | None:
    from sqlalchemy import select

    with database.session() as session:
        return session.scalars(select(ScheduledSend).where(ScheduledSend.key == key)).first()


def deliver(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    delivery_id: int,
    *,
    now: datetime,
    holder: str = "",
) -> str:
    """Send one person their poll, once; returns the delivery's state afterwards."""
    with database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        if delivery.state is DeliveryState.SENT:
            return SENT_ELSEWHERE  # another run got there first
        if delivery.state is not DeliveryState.PENDING:
            return delivery.state.value
        poll = delivery.poll
        person = delivery.participant
        language = language_of(person, settings.default_language)
        key = polls.answer_key(session, settings.answer_key)
        message = poll_blocks.poll_message(
            poll, polls.own_answers(session, poll, person.id, key), language
        )
        send_key = f"poll:{poll.id}:to:{person.id}"
        user_id, opens_at = person.user_id, poll.opens_at
    try:
        outcome = send_once(
            database,
            send_key,
            lambda: _post_to(gateway, user_id, message, marker=send_key),
            holder=holder,
            due_at=opens_at,
            clock=lambda: now,
        )
    except _InDoubt as error:
        with database.session() as session:
            polls.record_failure(
                session, delivery_id, str(error), permanent=True, in_doubt=True, now=now
            )
        return DeliveryState.IN_DOUBT.value
    row = _outbox_row(database, send_key)
    with database.session() as session:
        if outcome in (SendOutcome.SENT, SendOutcome.ALREADY_SENT) and row and row.result:
            channel, ts = row.result.split(" ", 1)
            polls.record_sent(session, delivery_id, channel, ts)
            return DeliveryState.SENT.value if outcome is SendOutcome.SENT else SENT_ELSEWHERE
        if outcome is SendOutcome.FAILED and row is not None:
            kind, _, code = (row.error or "temporary:unknown").partition(":")
            polls.record_failure(session, delivery_id, code, permanent=kind == "permanent", now=now)
            logger.warning("poll %s to %s failed: %s (%s)", poll.id, user_id, code, kind)
            return session.get(PollDelivery, delivery_id).state.value  # type: ignore[union-attr]
        if row is not None and row.claimed_at < now - IN_DOUBT_AFTER:
            polls.record_failure(
                session, delivery_id, "sending_interrupted", permanent=True, in_doubt=True, now=now
            )
            return DeliveryState.IN_DOUBT.value
    return DeliveryState.PENDING.value  # another process is sending it right now


def settle_in_doubt(
    database: Database, gateway: SlackGateway, delivery_id: int, *, now: datetime
) -> DeliveryState:
    """Ask Slack whether a poll post that broke off (a timeout, or a process that died while
    sending) landed: the poll message carries its send key as a metadata marker. Found: it is
    sent, never again. Not found (a minute or more later): Slack did not post it, so the claim is
    released and the delivery goes back to pending for this sweep to send."""
    with database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        user_id = delivery.participant.user_id
        send_key = f"poll:{delivery.poll_id}:to:{delivery.participant_id}"
    try:
        channel = gateway.dm_channel(user_id)
        ts = gateway.find_marked_message(channel, send_key)
    except DeliveryError as error:
        logger.warning("could not look up poll %s in %s's DM: %s", send_key, user_id, error.code)
        with database.session() as session:
            polls.postpone_check(session, delivery_id, now)
        return DeliveryState.IN_DOUBT
    with database.session() as session:
        current = session.get(PollDelivery, delivery_id, with_for_update=True)
        if current is None or current.state is not DeliveryState.IN_DOUBT:
            return current.state if current else DeliveryState.FAILED  # another sweep settled it
        if ts is not None:
            mark_sent(session, send_key, result=f"{channel} {ts}", now=now)
            polls.record_sent(session, delivery_id, channel, ts)
            return DeliveryState.SENT
        mark_failed(session, send_key, error="temporary:not_posted")
        polls.retry_delivery(session, delivery_id)
        return DeliveryState.PENDING


def remind(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    delivery_id: int,
    *,
    now: datetime,
    holder: str = "",
) -> bool:
    with database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        if delivery.answered or delivery.reminded_at is not None or not delivery.channel:
            return False
        poll = delivery.poll
        language = language_of(delivery.participant, settings.default_language)
        message = poll_blocks.reminder_message(poll, language)
        channel, send_key = delivery.channel, f"poll:{poll.id}:remind:{delivery.participant_id}"

    def send() -> str:
        try:
            return gateway.post(channel, message)
        except DeliveryError as error:
            if error.code.startswith("connection"):
                raise
            raise NotDelivered(error.code) from error

    try:
        outcome = send_once(database, send_key, send, holder=holder, clock=lambda: now)
    except DeliveryError:
        outcome = SendOutcome.IN_DOUBT
    with database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        if outcome is not SendOutcome.FAILED or delivery.attempts > 5:
            delivery.reminded_at = now
    return outcome is SendOutcome.SENT


def _close_messages(
    database: Database, gateway: SlackGateway, settings: Settings, poll_id: int
) -> None:
    """Redraw each sent poll message as closed: answers shown, buttons gone."""
    with database.session() as session:
        poll = session.get(Poll, poll_id)
        assert poll is not None
        key = polls.answer_key(session, settings.answer_key)
        updates = []
        for delivery in poll.deliveries:
            if delivery.state is not DeliveryState.SENT or not delivery.channel or not delivery.ts:
                continue
            language = language_of(delivery.participant, settings.default_language)
            answers = polls.own_answers(session, poll, delivery.participant_id, key)
            updates.append(
                (
                    delivery.channel,
                    delivery.ts,
                    poll_blocks.poll_message(poll, answers, language, closed=True),
                )
            )
    for channel, ts, message in updates:
        try:
            gateway.update(channel, ts, message)
        except DeliveryError as error:
            logger.warning("could not mark poll %s closed in %s: %s", poll_id, channel, error.code)


def _report_failures(
    database: Database, gateway: SlackGateway, settings: Settings, holder: str, now: datetime
) -> None:
    with database.session() as session:
        found = polls.unreported_failures(session)
        notes = []
        for poll_id, deliveries in found.items():
            poll = session.get(Poll, poll_id)
            assert poll is not None
            creator = find_participant(session, poll.team_id, poll.created_by)
            language = language_of(creator, settings.default_language)
            problems = [(d.participant.user_id, d.error or "") for d in deliveries]
            notes.append(
                (poll_id, poll.created_by, poll_blocks.failures_message(poll, problems, language))
            )
    for poll_id, user_id, message in notes:
        outcome = send_once(
            database,
            f"poll:{poll_id}:failures",
            lambda user_id=user_id, message=message: _post_to(gateway, user_id, message),
            holder=holder,
            clock=lambda: now,
        )
        if outcome is not SendOutcome.FAILED:
            with database.session() as session:
                poll = session.get(Poll, poll_id)
                assert poll is not None
                poll.failures_reported = True


def send_pending(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    result: SweepResult,
    *,
    now: datetime,
    holder: str,
    poll_id: int | None = None,
) -> None:
    with database.session() as session:
        pending = polls.deliveries_to_send(session, now)
        if poll_id is not None:
            pending = [
                d
                for d in pending
                if session.get(PollDelivery, d).poll_id == poll_id  # type: ignore[union-attr]
            ]
    for delivery_id in pending:
        try:
            state = deliver(database, gateway, settings, delivery_id, now=now, holder=holder)
        except Exception:  # noqa: BLE001 - one person's problem never stops the others
            logger.exception("poll delivery %s failed unexpectedly", delivery_id)
            continue
        if state == DeliveryState.SENT.value:
            result.sent += 1
        elif state not in (DeliveryState.PENDING.value, SENT_ELSEWHERE):
            result.failed += 1


def run_poll_sweep(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    now: datetime | None = None,
    *,
    holder: str = "",
) -> SweepResult:
    """Everything polls need at ``now``: plan, open, deliver, remind, close, report failures."""
    now = now or utcnow()
    result = SweepResult()
    with database.session() as session:
        result.planned = len(polls.plan_polls(session, now))
    with database.session() as session:
        result.opened = polls.open_due_polls(session, now)
    with database.session() as session:
        doubtful = polls.deliveries_to_check(session, now)
    for delivery_id in doubtful:
        try:
            settle_in_doubt(database, gateway, delivery_id, now=now)
        except Exception:  # noqa: BLE001
            logger.exception("poll delivery %s could not be checked", delivery_id)
    send_pending(database, gateway, settings, result, now=now, holder=holder)
    with database.session() as session:
        reminders = polls.due_reminders(session, now)
    for delivery_id in reminders:
        try:
            result.reminded += remind(
                database, gateway, settings, delivery_id, now=now, holder=holder
            )
        except Exception:  # noqa: BLE001
            logger.exception("poll reminder %s failed unexpectedly", delivery_id)
    with database.session() as session:
        result.closed = polls.close_due_polls(session, now)
    for poll_id in result.closed:
        _close_messages(database, gateway, settings, poll_id)
    _report_failures(database, gateway, settings, holder, now)
    if result.opened or result.sent or result.failed or result.reminded or result.closed:
        logger.info("poll sweep: %s", result)
    return result


def send_poll_now(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    poll_id: int,
    now: datetime | None = None,
    *,
    holder: str = "",
) -> SweepResult:
    """Open the poll ``poll_id`` now (ad hoc, or the ``send_poll`` job) and deliver it."""
    now = now or utcnow()
    result = SweepResult()
    with database.session() as session:
        poll = session.get(Poll, poll_id)
        if poll is None:
            logger.warning("poll %s no longer exists", poll_id)
            return result
        if poll.state is PollState.SCHEDULED:
            polls.open_poll(session, poll)
            result.opened.append(poll_id)
    send_pending(database, gateway, settings, result, now=now, holder=holder, poll_id=poll_id)
    _report_failures(database, gateway, settings, holder, now)
    return result


def deliver_report(
    database: Database,
    gateway: SlackGateway,
    settings: Settings,
    facilitator: SlackUser,
    scope: poll_reports.Scope,
) -> None:
    """Build the report, post it to the facilitator's DM with its chart."""
    try:
        with database.session() as session:
            language = language_of(
                find_participant(session, facilitator.team_id, facilitator.user_id),
                settings.default_language,
            )
            report = poll_reports.build_report(session, facilitator.team_id, scope, language)
        channel = gateway.dm_channel(facilitator.user_id)
        gateway.post(channel, poll_blocks.report_message(report, language))
        chart = report_chart(report, language)
        if chart is not None:
            gateway.upload_file(
                channel,
                chart,
                "poll-report.png",
                t("polls.chart_title", language, scope=report.scope),
            )
    except DeliveryError as error:
        logger.warning("could not deliver a poll report to %s: %s", facilitator.user_id, error)
    except DomainError:
        raise
    except Exception:
        logger.exception("poll report failed for %s", facilitator.user_id)
        try:
            channel = gateway.dm_channel(facilitator.user_id)
            gateway.post(channel, blocks.notice(t("errors.generic", settings.default_language)))
        except DeliveryError:
            pass
