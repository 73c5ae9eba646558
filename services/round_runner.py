"""Carry out a confirmed round: a conversation and an intro for each think tank, notices for
those not placed, a summary for the facilitator.

Exactly once, across double clicks, several processes and crashes:
- one runner per round at a time (a lease on the round row, taken with a conditional UPDATE and
  renewed before each step). A runner's id names its host and process, so after a crash (SIGKILL,
  OOM) a process on the same host takes the round over at once when that process is gone; a
  runner on another host waits for the lease to run out;
- each message (intro, notice, summary) goes through ``services.delivery.deliver`` under a key
  that is also its metadata marker; a send found in doubt on resume asks Slack for the marker
  before sending again (the lease means nobody else is sending it). Opening a conversation is
  idempotent, so a step cut off there is simply tried again.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import or_, select, update

from models import Round, RoundNotice, RoundStatus, StepState, ThinkTank
from models.base import utcnow
from models.db import Database
from models.queries import find_participant
from services.delivery import (
    DeliveryError,
    FailureKind,
    Gateway,
    Outcome,
    Recipient,
    Status,
    deliver,
)
from services.outgoing import (
    Intro,
    IntroMember,
    Outbound,
    RoundSummary,
    Unplaced,
    person_language,
)
from services.participants import language_of

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_POLL_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class RunOutcome:
    round_id: int
    status: str  # "completed", "busy" (someone else runs it), "interrupted" (resume later)
    detail: str = ""


def new_runner_id() -> str:
    """``host/pid/random``: unique, and says where to look whether its process still lives."""
    return f"{socket.gethostname()[:32]}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def is_dead_local_runner(runner: str | None) -> bool:
    """True only when ``runner`` ran on this host in a process that no longer exists."""
    host, _, rest = (runner or "").partition("/")
    pid, _, _ = rest.partition("/")
    if host != socket.gethostname()[:32] or not pid.isdigit():
        return False
    return int(pid) != os.getpid() and _process_gone(int(pid))


def _claim(database: Database, round_id: int, runner: str) -> bool:
    now = utcnow()
    with database.session() as session:
        holder = session.scalar(select(Round.runner).where(Round.id == round_id))
        free = or_(Round.runner.is_(None), Round.runner_until < now, Round.runner == runner)
        if is_dead_local_runner(holder):
            # Crashed mid-way on this host: take over now rather than after the lease.
            logger.warning("round %s: runner %s is gone; taking over", round_id, holder)
            free = or_(free, Round.runner == holder)
        claimed = session.execute(
            update(Round)
            .where(Round.id == round_id, Round.status == RoundStatus.CONFIRMED, free)
            .values(runner=runner, runner_until=now + LEASE)
            .returning(Round.id)
        ).scalar()
    return claimed is not None


def _release(database: Database, round_id: int, runner: str) -> None:
    with database.session() as session:
        session.execute(
            update(Round)
            .where(Round.id == round_id, Round.runner == runner)
            .values(runner=None, runner_until=None)
        )


def _intro_key(tank_id: int) -> str:
    return f"collider-intro-{tank_id}"


def _notice_key(notice_id: int) -> str:
    return f"collider-notice-{notice_id}"


def _summary_key(round_id: int) -> str:
    return f"collider-summary-{round_id}"


class _Interrupted(Exception):
    """A send that may work later (Slack down, rate limited, in doubt): resume the round then."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _send(out: Outbound, message: dict, to: Recipient, key: str, runner: str) -> Outcome:
    """One step's message, exactly once; an interruption unless it was sent or cannot be."""
    outcome = deliver(
        out.database,
        out.gateway,
        message,
        to,
        key=key,
        holder=runner,
        # The lease is ours: a claim in "sending" is one a crash or a timeout left behind.
        settle_in_doubt=True,
    )
    if outcome.delivered or outcome.status is Status.PERMANENT:
        return outcome
    raise _Interrupted(outcome.code or outcome.status.value)


def _open_conversation(database: Database, messenger: Gateway, tank_id: int) -> str | None:
    """The tank's conversation id, opening it if needed; None when it cannot be opened."""
    while True:
        with database.session() as session:
            tank = session.get(ThinkTank, tank_id)
            assert tank is not None
            if tank.conversation_state is StepState.DONE:
                return tank.conversation_id
            if tank.conversation_state is StepState.FAILED:
                return None
            reachable = [m for m in tank.members if m.unreachable is None]
            if len(reachable) < 2:
                tank.conversation_state = StepState.FAILED
                tank.error = "too_few_reachable"
                return None
            user_ids = [member.participant.user_id for member in reachable]
            name = f"collider-r{tank.round_id}-t{tank.number}"
            # A channel this round created (recorded before anyone was invited): go on with it
            # after a crash. Never looked up by name: a channel of that name may not be ours.
            created_before = tank.conversation_id
            # A group DM is idempotent (same people, same conversation), so a SENDING left by
            # a crash is simply tried again.
            tank.conversation_state = StepState.SENDING
        try:
            channel = messenger.open_conversation(
                user_ids,
                name,
                channel=created_before,
                created=lambda new: _record_channel(database, tank_id, new),
            )
        except DeliveryError as error:
            if error.kind is not FailureKind.PERMANENT:
                raise
            if _mark_failure(database, tank_id, error):
                continue
            return None
        with database.session() as session:
            tank = session.get(ThinkTank, tank_id)
            assert tank is not None
            tank.conversation_id = channel
            tank.conversation_state = StepState.DONE
            tank.started_at = tank.started_at or utcnow()
        return channel


def _record_channel(database: Database, tank_id: int, channel: str) -> None:
    with database.session() as session:
        tank = session.get(ThinkTank, tank_id)
        assert tank is not None
        tank.conversation_id = channel


def _mark_failure(database: Database, tank_id: int, error: DeliveryError) -> bool:
    """Leave out the people the error is about (True: try again without them), or fail the
    tank's conversation (False)."""
    with database.session() as session:
        tank = session.get(ThinkTank, tank_id)
        assert tank is not None
        if error.user_ids:
            for member in tank.members:
                if member.participant.user_id in error.user_ids:
                    member.unreachable = error.code
            tank.conversation_state = StepState.PENDING
            return True
        tank.conversation_state = StepState.FAILED
        tank.error = error.code
        return False


def _intro(tank: ThinkTank, default_language: str) -> Intro:
    """Everyone the intro names: the members in the conversation, and by name those who are not
    in Slack (the others invite them). Someone Slack refused (deactivated) is left out."""
    members = []
    for member in tank.members:
        participant = member.participant
        if member.unreachable and not participant.is_offline:
            continue
        members.append(
            IntroMember(
                user_id=None if participant.is_offline else participant.user_id,
                name=participant.display_name if participant.is_offline else None,
                organisation=participant.organisation,
                organisation_type=participant.organisation_type.value
                if participant.organisation_type
                else None,
                idea_title=member.idea.title if member.idea else None,
                idea_kind=member.idea.kind.value if member.idea else None,
            )
        )
    started = tank.started_at or utcnow()
    return Intro(
        think_tank_id=tank.id,
        round_id=tank.round_id,
        number=tank.number,
        language=tank.language or default_language,
        members=tuple(members),
        key_terms=tuple(tank.key_terms or ()),
        first_poll_on=started + FIRST_POLL_AFTER,
    )


def _send_intro(out: Outbound, tank_id: int, channel: str, runner: str) -> None:
    default_language = out.settings.default_language
    with out.database.session() as session:
        tank = session.get(ThinkTank, tank_id)
        assert tank is not None
        if tank.intro_state in (StepState.DONE, StepState.FAILED):
            return
        message = out.views.intro(_intro(tank, default_language))
        tank.intro_state = StepState.SENDING
    outcome = _send(out, message, Recipient(channel=channel), _intro_key(tank_id), runner)
    with out.database.session() as session:
        tank = session.get(ThinkTank, tank_id)
        assert tank is not None
        if outcome.delivered:
            tank.intro_ts, tank.intro_state = outcome.ts, StepState.DONE
        else:
            tank.intro_state, tank.error = StepState.FAILED, outcome.code


def _send_notice(out: Outbound, notice_id: int, runner: str) -> None:
    with out.database.session() as session:
        notice = session.get(RoundNotice, notice_id)
        assert notice is not None
        if notice.state in (StepState.DONE, StepState.FAILED):
            return
        unplaced = Unplaced(
            participant_id=notice.participant_id,
            user_id=notice.participant.user_id,
            language=language_of(notice.participant, out.settings.default_language),
            reason=notice.reason,
            round_id=notice.round_id,
        )
        team_id = notice.participant.team_id
        notice.state = StepState.SENDING
    to = Recipient(user_id=unplaced.user_id, team_id=team_id)
    outcome = _send(out, out.views.unplaced(unplaced), to, _notice_key(notice_id), runner)
    with out.database.session() as session:
        notice = session.get(RoundNotice, notice_id)
        assert notice is not None
        notice.state = StepState.DONE if outcome.delivered else StepState.FAILED


def _renew(database: Database, round_id: int, runner: str) -> bool:
    """Extend the lease; False when another runner has taken the round over."""
    with database.session() as session:
        renewed = session.execute(
            update(Round)
            .where(Round.id == round_id, Round.runner == runner)
            .values(runner_until=utcnow() + LEASE)
            .returning(Round.id)
        ).scalar()
    return renewed is not None


def _finish(database: Database, round_id: int, default_language: str) -> RoundSummary:
    with database.session() as session:
        round_ = session.get(Round, round_id)
        assert round_ is not None
        round_.status = RoundStatus.COMPLETED
        round_.completed_at = utcnow()
        round_.runner, round_.runner_until = None, None
        facilitator = (
            find_participant(session, round_.team_id, round_.confirmed_by)
            if round_.confirmed_by
            else None
        )
        failed = tuple(
            (tank.number, tank.error or "failed")
            for tank in round_.think_tanks
            if StepState.FAILED in (tank.conversation_state, tank.intro_state)
        )
        members = [member for tank in round_.think_tanks for member in tank.members]
        unreachable = tuple(
            (member.participant.user_id, member.unreachable)
            for member in members
            if member.unreachable and not member.participant.is_offline
        )
        offline = tuple(
            member.participant.display_name or "?"
            for member in members
            if member.participant.is_offline
        )
        return RoundSummary(
            round_id=round_id,
            language=language_of(facilitator, default_language),
            think_tanks=len(round_.think_tanks),
            people=sum(len(tank.members) for tank in round_.think_tanks),
            failed_groups=failed,
            unreachable=unreachable,
            offline=offline,
            notices=sum(1 for n in round_.notices if n.state is StepState.DONE),
        )


def _lost(round_id: int, runner: str) -> RunOutcome:
    logger.warning("round %s: runner %s lost its lease; the new runner goes on", round_id, runner)
    return RunOutcome(round_id, "busy", "lease lost")


def _carry_out_steps(out: Outbound, round_id: int, runner: str) -> RunOutcome | None:
    """Every conversation, intro and notice of the round; a ``RunOutcome`` if the lease was lost."""
    with out.database.session() as session:
        tank_ids = list(
            session.scalars(
                select(ThinkTank.id)
                .where(ThinkTank.round_id == round_id)
                .order_by(ThinkTank.number)
            )
        )
        notice_ids = list(
            session.scalars(select(RoundNotice.id).where(RoundNotice.round_id == round_id))
        )
    for tank_id in tank_ids:
        channel = _open_conversation(out.database, out.gateway, tank_id)
        if channel:
            _send_intro(out, tank_id, channel, runner)
        if not _renew(out.database, round_id, runner):
            return _lost(round_id, runner)
    for notice_id in notice_ids:
        _send_notice(out, notice_id, runner)
        if not _renew(out.database, round_id, runner):
            return _lost(round_id, runner)
    return None


def _report(out: Outbound, round_id: int, summary: RoundSummary, runner: str) -> None:
    with out.database.session() as session:
        round_ = session.get(Round, round_id)
        assert round_ is not None
        team_id, confirmed_by = round_.team_id, round_.confirmed_by
    if not confirmed_by:
        return
    # The facilitator's language even without a profile: their Slack locale.
    summary = replace(summary, language=person_language(out, team_id, confirmed_by))
    outcome = deliver(
        out.database,
        out.gateway,
        out.views.round_summary(summary),
        Recipient(user_id=confirmed_by, team_id=team_id),
        key=_summary_key(round_id),
        holder=runner,
    )
    if not outcome.delivered:
        logger.warning("could not report round %s: %s", round_id, outcome.code or outcome.status)


def run_round(out: Outbound, round_id: int, *, runner: str | None = None) -> RunOutcome:
    """Carry out a confirmed round, or continue one that was interrupted."""
    runner = runner or new_runner_id()
    if not _claim(out.database, round_id, runner):
        return RunOutcome(round_id, "busy")
    try:
        lost = _carry_out_steps(out, round_id, runner)
        if lost is not None:
            return lost
        summary = _finish(out.database, round_id, out.settings.default_language)
    except (DeliveryError, _Interrupted) as error:
        code = error.code
        logger.warning("round %s interrupted by %s; it resumes later", round_id, code)
        _release(out.database, round_id, runner)
        return RunOutcome(round_id, "interrupted", code)
    except Exception:
        _release(out.database, round_id, runner)
        raise
    _report(out, round_id, summary, runner)
    return RunOutcome(round_id, "completed")


def unfinished_rounds(database: Database) -> list[int]:
    with database.session() as session:
        return list(
            session.scalars(
                select(Round.id).where(Round.status == RoundStatus.CONFIRMED).order_by(Round.id)
            )
        )


def resume_unfinished(out: Outbound) -> list[RunOutcome]:
    """Continue every confirmed round that is not complete (on start, and periodically)."""
    return [run_round(out, round_id) for round_id in unfinished_rounds(out.database)]
