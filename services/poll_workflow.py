"""Poll work that runs on the scheduler or after an ack: the sweep that plans, opens, delivers,
reminds and closes polls, and facilitator reports.

Every message to a person goes through ``services.delivery.deliver`` under a key naming that one
occurrence (``poll:{poll}:to:{participant}``, ``poll:{poll}:remind:{participant}``), so a sweep
that runs twice, in two processes, or again after a crash never sends it twice. Slack errors:
429 and 5xx are retried by the client's handlers; what is left and temporary is tried again by
later sweeps with a growing pause (``services.delivery.backoff``); a permanent failure marks only
that person's delivery failed, the others go on, and the poll's creator gets one list of them.
A poll post that broke off (a timeout: Slack may have posted it) is in doubt: it carries its send
key as a metadata marker, and a sweep a minute later looks for it in the DM (``settle_poll``)
and marks it sent, or sends it again if it is not there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from i18n import t
from models import DeliveryState, Poll, PollDelivery, PollState
from models.base import utcnow
from models.queries import find_participant
from services import poll_reports, polls
from services.answer_keys import answer_keys
from services.delivery import (
    DeliveryError,
    Outcome,
    Recipient,
    Status,
    Upload,
    deliver,
    deliver_file,
    settle,
)
from services.errors import DomainError
from services.outgoing import Outbound, person_language
from services.participants import SlackUser, language_of
from services.poll_chart import report_chart

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


def _poll_key(poll_id: int, participant_id: int) -> str:
    return f"poll:{poll_id}:to:{participant_id}"


def deliver_poll(out: Outbound, delivery_id: int, *, now: datetime) -> str:
    """Send one person their poll, once; returns the delivery's state afterwards."""
    with out.database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        if delivery.state is DeliveryState.SENT:
            return SENT_ELSEWHERE  # another run got there first
        if delivery.state is not DeliveryState.PENDING:
            return delivery.state.value
        poll = delivery.poll
        person = delivery.participant
        language = language_of(person, out.settings.default_language)
        keys = answer_keys(session, out.settings)
        message = out.views.poll(poll, polls.own_answers(session, poll, person.id, keys), language)
        send_key = _poll_key(poll.id, person.id)
        poll_id, opens_at = poll.id, poll.opens_at
        team_id, user_id = person.team_id, person.user_id
    outcome = deliver(
        out.database,
        out.gateway,
        message,
        Recipient(user_id=user_id, team_id=team_id),
        key=send_key,
        holder=out.holder,
        due_at=opens_at,
        clock=lambda: now,
        in_doubt_after=IN_DOUBT_AFTER,
    )
    return _record(out, delivery_id, outcome, now=now, about=f"poll {poll_id} to {user_id}")


def _record(out: Outbound, delivery_id: int, outcome: Outcome, *, now: datetime, about: str) -> str:
    """Write what became of a poll post onto its delivery; the delivery's state afterwards."""
    with out.database.session() as session:
        if outcome.delivered and outcome.ts:
            polls.record_sent(session, delivery_id, outcome.channel or "", outcome.ts)
            return DeliveryState.SENT.value if outcome.status is Status.SENT else SENT_ELSEWHERE
        if outcome.status is Status.IN_DOUBT:
            # Slack may have posted it: a later sweep looks for its marker (``settle_poll``).
            polls.record_failure(
                session, delivery_id, outcome.code, for_good=True, in_doubt=True, now=now
            )
            return DeliveryState.IN_DOUBT.value
        if outcome.failed:
            permanent = outcome.status is Status.PERMANENT
            polls.record_failure(
                session,
                delivery_id,
                outcome.code,
                for_good=permanent,
                now=now,
                retry_after=outcome.retry_after,
            )
            logger.warning("%s failed: %s (%s)", about, outcome.code, outcome.status)
            return session.get(PollDelivery, delivery_id).state.value  # type: ignore[union-attr]
    return DeliveryState.PENDING.value  # another process is sending it right now


def settle_poll(out: Outbound, delivery_id: int, *, now: datetime) -> DeliveryState:
    """Ask Slack whether a poll post that broke off (a timeout, or a process that died while
    sending) landed, by its marker. Found: it is sent, never again. Not found (a minute or more
    later): Slack did not post it, so the delivery goes back to pending for this sweep to send."""
    with out.database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        team_id, user_id = delivery.participant.team_id, delivery.participant.user_id
        send_key = _poll_key(delivery.poll_id, delivery.participant_id)
    outcome = settle(
        out.database, out.gateway, send_key, Recipient(user_id=user_id, team_id=team_id), now=now
    )
    with out.database.session() as session:
        current = session.get(PollDelivery, delivery_id, with_for_update=True)
        if current is None or current.state is not DeliveryState.IN_DOUBT:
            return current.state if current else DeliveryState.FAILED  # another sweep settled it
        if outcome.delivered and outcome.ts:
            polls.record_sent(session, delivery_id, outcome.channel or "", outcome.ts)
            return DeliveryState.SENT
        if outcome.failed:  # not posted: the claim is released, send it again
            polls.retry_delivery(session, delivery_id)
            return DeliveryState.PENDING
        polls.postpone_check(session, delivery_id, now)  # Slack unreachable, or someone is on it
        return DeliveryState.IN_DOUBT


def remind(out: Outbound, delivery_id: int, *, now: datetime) -> bool:
    with out.database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        if delivery.answered or delivery.reminded_at is not None or not delivery.channel:
            return False
        poll = delivery.poll
        language = language_of(delivery.participant, out.settings.default_language)
        message = out.views.reminder(poll, language)
        send_key = f"poll:{poll.id}:remind:{delivery.participant_id}"
        # Their DM, by the channel the poll went to.
        person = delivery.participant
        to = Recipient(
            channel=delivery.channel,
            user_id=person.user_id,
            team_id=person.team_id,
            participant_id=person.id,
        )
    outcome = deliver(
        out.database,
        out.gateway,
        message,
        to,
        key=send_key,
        holder=out.holder,
        marked=False,  # a reminder in doubt is not looked up: at most once is enough
        clock=lambda: now,
    )
    with out.database.session() as session:
        delivery = session.get(PollDelivery, delivery_id)
        assert delivery is not None
        if not outcome.failed or delivery.attempts > 5:
            delivery.reminded_at = now
    return outcome.status is Status.SENT


def _close_messages(out: Outbound, poll_id: int) -> None:
    """Redraw each sent poll message as closed: answers shown, buttons gone."""
    with out.database.session() as session:
        poll = session.get(Poll, poll_id)
        assert poll is not None
        keys = answer_keys(session, out.settings)
        updates = []
        for delivery in poll.deliveries:
            if delivery.state is not DeliveryState.SENT or not delivery.channel or not delivery.ts:
                continue
            language = language_of(delivery.participant, out.settings.default_language)
            answers = polls.own_answers(session, poll, delivery.participant_id, keys)
            updates.append(
                (
                    delivery.channel,
                    delivery.ts,
                    out.views.poll(poll, answers, language, closed=True),
                )
            )
    for channel, ts, message in updates:
        try:
            out.gateway.update(channel, ts, message)
        except DeliveryError as error:
            logger.warning("could not mark poll %s closed in %s: %s", poll_id, channel, error.code)


def _report_failures(out: Outbound, now: datetime) -> None:
    with out.database.session() as session:
        creators = {
            (poll.team_id, poll.created_by)
            for poll in (
                session.get(Poll, poll_id) for poll_id in polls.unreported_failures(session)
            )
            if poll is not None
        }
    # Asked outside the transaction (Slack may be asked for a locale), and before rendering.
    languages = {who: person_language(out, *who) for who in creators}
    with out.database.session() as session:
        found = polls.unreported_failures(session)
        notes = []
        for poll_id, deliveries in found.items():
            poll = session.get(Poll, poll_id)
            assert poll is not None
            language = languages.get((poll.team_id, poll.created_by)) or language_of(
                find_participant(session, poll.team_id, poll.created_by),
                out.settings.default_language,
            )
            problems = [(d.participant.user_id, d.error or "") for d in deliveries]
            message = out.views.poll_failures(poll, problems, language)
            # The message lists as many as it can; the rest, with them, go as a file.
            full = out.views.poll_failures_text(poll, problems, language)
            title = t("polls.failures_file_title", language, poll=poll_id)
            notes.append((poll_id, (poll.team_id, poll.created_by), message, (full, title)))
    for poll_id, (team_id, user_id), message, (full, title) in notes:
        outcome = deliver(
            out.database,
            out.gateway,
            message,
            Recipient(user_id=user_id, team_id=team_id),
            key=f"poll:{poll_id}:failures",
            holder=out.holder,
            marked=False,
            clock=lambda: now,
        )
        if outcome.status is Status.SENT and full is not None:
            shared = deliver_file(
                out.gateway,
                Upload(full.encode(), f"poll-{poll_id}-not-reached.txt", title),
                Recipient(channel=outcome.channel, user_id=user_id, team_id=team_id),
            )
            if not shared.delivered:
                logger.warning("could not share poll %s's failures: %s", poll_id, shared.code)
        if not outcome.failed:
            with out.database.session() as session:
                poll = session.get(Poll, poll_id)
                assert poll is not None
                poll.failures_reported = True


def send_pending(
    out: Outbound, result: SweepResult, *, now: datetime, poll_id: int | None = None
) -> None:
    with out.database.session() as session:
        pending = polls.deliveries_to_send(session, now)
        if poll_id is not None:
            pending = [
                d
                for d in pending
                if session.get(PollDelivery, d).poll_id == poll_id  # type: ignore[union-attr]
            ]
    for delivery_id in pending:
        try:
            state = deliver_poll(out, delivery_id, now=now)
        except Exception:  # noqa: BLE001 - one person's problem never stops the others
            logger.exception("poll delivery %s failed unexpectedly", delivery_id)
            continue
        if state == DeliveryState.SENT.value:
            result.sent += 1
        elif state not in (DeliveryState.PENDING.value, SENT_ELSEWHERE):
            result.failed += 1


def run_poll_sweep(out: Outbound, now: datetime | None = None) -> SweepResult:
    """Everything polls need at ``now``: plan, open, deliver, remind, close, report failures."""
    now = now or utcnow()
    result = SweepResult()
    with out.database.session() as session:
        result.planned = len(polls.plan_polls(session, now))
    with out.database.session() as session:
        result.opened = polls.open_due_polls(session, now)
    with out.database.session() as session:
        doubtful = polls.deliveries_to_check(session, now)
    for delivery_id in doubtful:
        try:
            settle_poll(out, delivery_id, now=now)
        except Exception:  # noqa: BLE001
            logger.exception("poll delivery %s could not be checked", delivery_id)
    send_pending(out, result, now=now)
    with out.database.session() as session:
        reminders = polls.due_reminders(session, now)
    for delivery_id in reminders:
        try:
            result.reminded += remind(out, delivery_id, now=now)
        except Exception:  # noqa: BLE001
            logger.exception("poll reminder %s failed unexpectedly", delivery_id)
    with out.database.session() as session:
        result.closed = polls.close_due_polls(session, now)
    for poll_id in result.closed:
        _close_messages(out, poll_id)
    _report_failures(out, now)
    if result.opened or result.sent or result.failed or result.reminded or result.closed:
        logger.info("poll sweep: %s", result)
    return result


def send_poll_now(out: Outbound, poll_id: int, now: datetime | None = None) -> SweepResult:
    """Open the poll ``poll_id`` now (ad hoc, or the ``send_poll`` job) and deliver it."""
    now = now or utcnow()
    result = SweepResult()
    with out.database.session() as session:
        poll = session.get(Poll, poll_id)
        if poll is None:
            logger.warning("poll %s no longer exists", poll_id)
            return result
        if poll.state is PollState.SCHEDULED:
            polls.open_poll(session, poll)
            result.opened.append(poll_id)
    send_pending(out, result, now=now, poll_id=poll_id)
    _report_failures(out, now)
    return result


def deliver_report(out: Outbound, facilitator: SlackUser, scope: poll_reports.Scope) -> None:
    """Build the report, post it to the facilitator's DM with its chart."""
    to = Recipient(user_id=facilitator.user_id, team_id=facilitator.team_id)
    # First, so that a failure below is said in their language too.
    language = person_language(out, facilitator.team_id, facilitator.user_id)
    try:
        with out.database.session() as session:
            report = poll_reports.build_report(session, facilitator.team_id, scope, language)
        message = out.views.report(report, language)
        # One-off: the facilitator asked for it just now, and asking again is the retry.
        outcome = deliver(out.database, out.gateway, message, to, key=None)
        chart = report_chart(report, language) if outcome.delivered else None
        if chart is not None and outcome.channel:
            title = t("polls.chart_title", language, scope=report.scope)
            where = Recipient(channel=outcome.channel)
            upload = Upload(chart, "poll-report.png", title)
            shared = deliver_file(out.gateway, upload, where)
            if not shared.delivered:
                logger.warning("could not share a report chart: %s", shared.code)
    except DomainError:
        raise
    except Exception:
        logger.exception("poll report failed for %s", facilitator.user_id)
        sorry = out.views.notice(t("errors.generic", language))
        deliver(out.database, out.gateway, sorry, to, key=None)
        return
    if not outcome.delivered:
        logger.warning(
            "could not deliver a poll report to %s: %s", facilitator.user_id, outcome.code
        )


def deliver_report_file(out: Outbound, facilitator: SlackUser, scope: poll_reports.Scope) -> None:
    """The whole report as a text file in the facilitator's DM (*Send everything as a file*
    under a report too long for one message). A failure is said to them."""
    language = person_language(out, facilitator.team_id, facilitator.user_id)
    with out.database.session() as session:
        poll_reports.require_scope(session, facilitator.team_id, scope)
        report = poll_reports.build_report(session, facilitator.team_id, scope, language)
    text = out.views.report_text(report, language)
    title = t("polls.report_title", language, scope=report.scope)
    to = Recipient(user_id=facilitator.user_id, team_id=facilitator.team_id)
    shared = deliver_file(out.gateway, Upload(text.encode(), "poll-report.txt", title), to)
    if not shared.delivered:
        logger.warning(
            "could not share a report file with %s: %s", facilitator.user_id, shared.code
        )
        sorry = out.views.notice(t("errors.file_not_sent", language))
        deliver(out.database, out.gateway, sorry, to, key=None)
