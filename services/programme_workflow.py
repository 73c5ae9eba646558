"""Programme work that runs after an ack or on the scheduler: the charter posted and pinned in
the group's conversation, the experiment card asked for after a stage move, stage-evaluation
invitations, result requests at an experiment's end date, and the programme report by DM.

Every message goes through ``services.delivery.deliver`` under a key naming that one occurrence
(``charter:{id}:post``, ``experiment:{id}:prompt:{move}:{target}``,
``evaluation:{id}:invite:{participant}``, ``experiment:{id}:result:{participant}``), so a job
that runs twice, in two processes, or again after a crash never sends it twice. Only answers to
what someone just asked (their saved card, the report they asked for) go without a key.
Invitations Slack did not take are sent again by the scheduler's ``run_evaluation_sweep``
(after a growing pause, a few times at most, never after the evaluation closes). What never
went out is told to the facilitator whose doing it was, once: the invitations nobody received
to the one who moved the idea (``evaluation:{id}:undelivered``, when none is waiting any more;
to each of the workspace's facilitators, ``evaluation:{id}:undelivered:{their id}``, when the
mover was forgotten or their DM fails for good),
the result requests nobody received to the one who started the experiment
(``experiment:{id}:result:undelivered``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import t
from models import Charter, Experiment, Idea, Participant, StageEvaluation, ThinkTank
from models.base import utcnow
from models.queries import find_participant
from services import charters, experiments, stage_evaluations
from services.delivery import (
    DeliveryError,
    Message,
    Outcome,
    Recipient,
    Status,
    Upload,
    deliver,
    deliver_file,
)
from services.outgoing import (
    Addressee,
    MoveFailures,
    NotReached,
    Outbound,
    ResultRequestFailures,
    person_language,
    tell_facilitator,
    tell_later,
    tell_mover_or_facilitators,
)
from services.participants import SlackUser, language_of
from services.programme_report import Period, build_report

logger = logging.getLogger(__name__)


# -- the charter ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CharterPost:
    channel: str
    message: Message
    ts: str | None
    pinned: bool


def _charter_post(out: Outbound, charter_id: int) -> _CharterPost | None:
    with out.database.session() as session:
        charter = session.get(Charter, charter_id)
        tank = session.get(ThinkTank, charter.think_tank_id) if charter else None
        if charter is None or tank is None or not tank.conversation_id:
            return None
        message = out.views.charter(charter, tank.language)
        return _CharterPost(tank.conversation_id, message, charter.message_ts, charter.pinned)


def post_charter(out: Outbound, charter_id: int, saver: SlackUser | None = None) -> None:
    """Post the charter in the group's conversation once (later edits change that message in
    place), and pin it once. If Slack takes neither, ``saver`` (who was told it is posted) is
    told it is not, by DM: saving again is the retry."""
    post = _charter_post(out, charter_id)
    if post is None:
        return
    ts = post.ts
    if ts:
        try:
            out.gateway.update(post.channel, ts, post.message)
        except DeliveryError as error:
            logger.warning("charter %s: could not edit its message (%s)", charter_id, error.code)
            _charter_not_posted(out, saver, error.code)
    else:
        outcome = deliver(
            out.database,
            out.gateway,
            post.message,
            Recipient(channel=post.channel),
            key=f"charter:{charter_id}:post",
            holder=out.holder,
        )
        if not outcome.delivered or not outcome.ts:
            logger.warning("charter %s: not posted (%s)", charter_id, outcome.status)
            if outcome.failed:
                _charter_not_posted(out, saver, outcome.code or outcome.status.value)
            return
        ts = outcome.ts
    pinned = post.pinned or _pin(out, post.channel, ts, charter_id)
    with out.database.session() as session:
        charters.record_message(session, charter_id, ts, pinned)


def _charter_not_posted(out: Outbound, saver: SlackUser | None, code: str) -> None:
    if saver is None:
        return
    language = person_language(out, saver.team_id, saver.user_id)
    message = out.views.notice(t("programme.charter_not_posted", language, reason=f"`{code}`"))
    # An answer to their own save, just now: saving again is the retry, so no send key.
    to = Recipient(user_id=saver.user_id, team_id=saver.team_id)
    told = deliver(out.database, out.gateway, message, to, key=None)
    if not told.delivered:
        logger.warning("charter: %s not told it is not posted (%s)", saver.user_id, told.code)


def _pin(out: Outbound, channel: str, ts: str, charter_id: int) -> bool:
    try:
        out.gateway.pin(channel, ts)
    except DeliveryError as error:
        # Not pinned: the next save of the charter tries again.
        logger.warning("charter %s: could not pin it (%s)", charter_id, error.code)
        return False
    return True


# -- after a stage move (``services.pipeline_workflow.follow_up_move``) ---------------------------
def prompt_card(out: Outbound, mover: SlackUser, change_id: int, experiment_id: int) -> str | None:
    """Ask the think tank (in its conversation) and the facilitator who moved the idea (by DM)
    to fill in the experiment card; Slack's error when the group's prompt was not posted."""
    default = out.settings.default_language
    with out.database.session() as session:
        experiment = session.get(Experiment, experiment_id)
        if experiment is None:
            return None
        tank = (
            session.get(ThinkTank, experiment.think_tank_id) if experiment.think_tank_id else None
        )
        mover_language = language_of(
            find_participant(session, mover.team_id, mover.user_id), default
        )
        to_mover = Recipient(user_id=mover.user_id, team_id=mover.team_id)
        prompts = [("mover", to_mover, mover_language)]
        if tank is not None and tank.conversation_id:
            prompts.insert(0, ("tank", Recipient(channel=tank.conversation_id), tank.language))
        messages = [
            (target, to, out.views.experiment_prompt(experiment, language))
            for target, to, language in prompts
        ]
    not_posted = None
    for target, to, message in messages:
        key = f"experiment:{experiment_id}:prompt:{change_id}:{target}"
        outcome = deliver(out.database, out.gateway, message, to, key=key, holder=out.holder)
        if outcome.failed:
            logger.warning(
                "experiment %s: no prompt to the %s (%s)", experiment_id, target, outcome.code
            )
            if target == "tank":
                not_posted = outcome.code or outcome.status.value
    return not_posted


def send_invites(
    out: Outbound, evaluation_id: int, *, now: datetime | None = None, settle_in_doubt: bool = False
) -> int:
    """DM each invitee whose invitation is due (never sent, or due to be tried again); how many
    were sent. A person Slack cannot reach is marked failed; one Slack did not take this time
    is tried again later (``run_evaluation_sweep``), the rest go on. Each goes under its send
    key, so nobody is asked twice however often this runs."""
    now = now or utcnow()
    default = out.settings.default_language
    with out.database.session() as session:
        evaluation = session.get(StageEvaluation, evaluation_id)
        if evaluation is None:
            return 0
        title = session.scalar(select(Idea.title).where(Idea.id == evaluation.idea_id)) or ""
        invitees = [
            (
                invitee,
                out.views.evaluation_invite(
                    evaluation, title, language_of(invitee.participant, default)
                ),
            )
            for invitee in stage_evaluations.pending_invites(session, evaluation_id, now)
        ]
    sent = 0
    for invitee, message in invitees:
        outcome = deliver(
            out.database,
            out.gateway,
            message,
            Recipient(
                user_id=invitee.user_id,
                team_id=invitee.participant.team_id,
                participant_id=invitee.participant.id,
            ),
            key=f"evaluation:{evaluation_id}:invite:{invitee.participant.id}",
            holder=out.holder,
            clock=lambda: now,
            in_doubt_after=IN_DOUBT_AFTER,
            settle_in_doubt=settle_in_doubt,
        )
        sent += outcome.status is Status.SENT
        with out.database.session() as session:
            state = stage_evaluations.record_attempt(
                session, invitee.invite_id, _attempt(outcome), now
            )
        if not outcome.delivered:
            logger.warning(
                "stage evaluation %s: invitation to %s not sent (%s %s), now %s",
                evaluation_id,
                invitee.user_id,
                outcome.status,
                outcome.code,
                state,
            )
    return sent


# A claim left in "sending" this long belongs to a process that died mid-send: it is settled
# against Slack (by its marker) before it is sent again.
IN_DOUBT_AFTER = timedelta(minutes=5)


def _attempt(outcome: Outcome) -> stage_evaluations.Attempt:
    if outcome.delivered:
        return stage_evaluations.Attempt(sent=True)
    if outcome.status in (Status.BUSY, Status.FORGOTTEN):
        # Another process is sending it this moment: its outcome is the one that counts. Or
        # the invitee was forgotten meanwhile, and their invitation with them.
        return stage_evaluations.Attempt(counted=False)
    return stage_evaluations.Attempt(
        for_good=outcome.status is Status.PERMANENT,
        code=outcome.code or outcome.status.value,
        retry_after=outcome.retry_after,
    )


@dataclass
class EvaluationSweep:
    sent: int = 0
    closed: list[int] = field(default_factory=list)
    # Evaluations whose undelivered invitations the facilitator was told about this time.
    reported: list[int] = field(default_factory=list)


def run_evaluation_sweep(out: Outbound, now: datetime | None = None) -> EvaluationSweep:
    """The scheduler's ``run_evaluation_sweep``: send again the invitations Slack did not take
    (a rate limit, an outage, a post that broke off and did not land), then close the
    evaluations whose time is up (who answered is forgotten then)."""
    now = now or utcnow()
    result = EvaluationSweep()
    with out.database.session() as session:
        due = stage_evaluations.evaluations_to_retry(session, now)
    for evaluation_id in due:
        try:
            # The scheduler's leader runs this: a claim left in doubt is settled, then sent.
            result.sent += send_invites(out, evaluation_id, now=now, settle_in_doubt=True)
        except Exception:  # noqa: BLE001 - one evaluation's problem never stops the others
            logger.exception("stage evaluation %s: invitations could not be retried", evaluation_id)
    with out.database.session() as session:
        result.closed = stage_evaluations.close_due_evaluations(session, now)
        unreported = stage_evaluations.unreported_failures(session)
    for evaluation_id in unreported:
        try:
            if report_invitation_failures(out, evaluation_id, now=now):
                result.reported.append(evaluation_id)
        except Exception:  # noqa: BLE001 - one evaluation's problem never stops the others
            logger.exception("stage evaluation %s: its failures could not be told", evaluation_id)
    if result.sent or result.closed or result.reported:
        logger.info("stage evaluation sweep: %s", result)
    return result


def claimed_invitation_failures(
    out: Outbound, evaluation_id: int, now: datetime | None = None
) -> stage_evaluations.FailureReport | None:
    """The evaluation's undelivered invitations, claimed for telling (once); None when none is
    to be told (yet): some are still waiting, all were delivered, or someone told already.
    The caller tells the facilitator through ``tell_of_invitations``."""
    with out.database.session() as session:
        if not stage_evaluations.claim_failure_report(session, evaluation_id, now):
            return None
        return stage_evaluations.failure_report(session, evaluation_id)


def evaluation_failures_key(evaluation_id: int) -> str:
    return f"evaluation:{evaluation_id}:undelivered"


def tell_of_invitations(
    out: Outbound,
    claimed: stage_evaluations.FailureReport | None,
    team_id: str,
    mover: Addressee | None,
    message_for: Callable[[str], Message],
    *,
    key: str,
) -> bool:
    """Tell the mover, or the workspace's facilitators when the mover cannot be told
    (``tell_mover_or_facilitators``), a message that holds the ``claimed`` invitation failures,
    if any; True when it was told (or tried for good). The claim is given back when not everyone
    was told this time (or the telling broke), so that a later sweep tells them: nothing is
    lost, nothing told twice (each facilitator's key names the evaluation, so the sweep's
    telling of the invitations finds those told already)."""
    facilitators_key = (
        evaluation_failures_key(claimed.failures.evaluation_id) if claimed is not None else key
    )
    try:
        outcomes = tell_mover_or_facilitators(
            out, team_id, mover, message_for, key=key, facilitators_key=facilitators_key
        )
    except Exception:
        if claimed is not None:
            _release_invitation_failures(out, claimed.failures.evaluation_id)
        raise
    later = any(tell_later(outcome) for outcome in outcomes)
    if claimed is not None and later:
        _release_invitation_failures(out, claimed.failures.evaluation_id)
    return not later


def _release_invitation_failures(out: Outbound, evaluation_id: int) -> None:
    with out.database.session() as session:
        stage_evaluations.release_failure_report(session, evaluation_id)


def report_invitation_failures(out: Outbound, evaluation_id: int, *, now: datetime) -> bool:
    """Tell the facilitator who moved the idea which invitations of the evaluation were not
    delivered, once none is waiting any more; True when this call told (or tried for good)."""
    report = claimed_invitation_failures(out, evaluation_id, now)
    if report is None:
        return False

    def message(language: str) -> Message:
        failures = MoveFailures(
            report.idea_id, report.idea_title, language, invitations=report.failures
        )
        return out.views.move_failures(failures)

    key = evaluation_failures_key(evaluation_id)
    return tell_of_invitations(out, report, report.team_id, report.mover, message, key=key)


# -- the experiment's end date (the scheduler's ``ask_experiment_results``) ----------------------
def ask_due_results(out: Outbound, today: date) -> int:
    """Ask the owners of every card whose end date has come for its result, once per owner.

    A card is claimed before anyone is asked (two runs never both take it); if Slack could not
    take a request this time, the claim is given back, and the next run asks those not asked
    yet: the send keys keep the others from being asked twice."""
    asked = 0
    with out.database.session() as session:
        due = experiments.due_for_result(session, today)
    for experiment_id in due:
        with out.database.session() as session:
            if not experiments.claim_result_request(session, experiment_id):
                continue  # another run took it
            messages = _result_requests(out, session, experiment_id)
        retry, not_reached = False, []
        for participant_id, (team_id, user_id), message in messages:
            outcome = deliver(
                out.database,
                out.gateway,
                message,
                Recipient(user_id=user_id, team_id=team_id),
                key=f"experiment:{experiment_id}:result:{participant_id}",
                holder=out.holder,
            )
            asked += outcome.status is Status.SENT
            retry = retry or outcome.status in (Status.TEMPORARY, Status.RETRY_AFTER)
            if outcome.failed:
                logger.warning(
                    "experiment %s: could not ask %s (%s)", experiment_id, user_id, outcome.code
                )
                not_reached.append(NotReached(user_id, outcome.code or outcome.status.value))
        # Those Slack will never take are told to the card's facilitator once the rest are
        # asked; if even that does not go out, the next run asks (and tells) again.
        if not retry and not_reached:
            retry = tell_later(_tell_result_failures(out, experiment_id, not_reached))
        if retry:
            with out.database.session() as session:
                experiments.release_result_request(session, experiment_id)
    return asked


def _tell_result_failures(
    out: Outbound, experiment_id: int, not_reached: list[NotReached]
) -> Outcome | None:
    with out.database.session() as session:
        experiment = session.get(Experiment, experiment_id)
        assert experiment is not None
        creator = (
            session.get(Participant, experiment.created_by_id) if experiment.created_by_id else None
        )
        if creator is None or creator.forgotten_at is not None:
            logger.warning("experiment %s: nobody to tell whom it did not ask", experiment_id)
            return None
        team_id, user_id, title = experiment.team_id, creator.user_id, experiment.title

    def message(language: str) -> Message:
        failures = ResultRequestFailures(experiment_id, title, language, tuple(not_reached))
        return out.views.result_request_failures(failures)

    key = f"experiment:{experiment_id}:result:undelivered"
    return tell_facilitator(out, team_id, user_id, message, key=key)


def _result_requests(
    out: Outbound, session: Session, experiment_id: int
) -> list[tuple[int, tuple[str, str], Message]]:
    experiment = session.get(Experiment, experiment_id)
    assert experiment is not None
    default = out.settings.default_language
    return [
        (
            person.id,
            (person.team_id, person.user_id),
            out.views.result_request(experiment, language_of(person, default)),
        )
        for person in experiments.owners(session, experiment)
    ]


# -- answers to what someone just asked ----------------------------------------------------------
def send_card(out: Outbound, user: SlackUser, experiment_id: int, language: str) -> None:
    """The saved card, by DM to whoever saved it (a one-off answer: saving again is the retry)."""
    with out.database.session() as session:
        experiment = session.get(Experiment, experiment_id)
        if experiment is None:
            return
        message = out.views.experiment_card(experiment, language)
    to = Recipient(user_id=user.user_id, team_id=user.team_id)
    outcome = deliver(out.database, out.gateway, message, to, key=None)
    if not outcome.delivered:
        logger.warning("could not DM card %s to %s: %s", experiment_id, user.user_id, outcome.code)


def deliver_programme_report(
    out: Outbound, facilitator: SlackUser, period: Period, language: str
) -> None:
    """Build the report and post it, with its charts, to the facilitator's DM."""
    with out.database.session() as session:
        report = build_report(session, facilitator.team_id, period)
    message = out.views.programme_report(report, language)
    to = Recipient(user_id=facilitator.user_id, team_id=facilitator.team_id)
    # One-off: the facilitator asked for it just now, and asking again is the retry.
    outcome = deliver(out.database, out.gateway, message, to, key=None)
    if not outcome.delivered or not outcome.channel:
        logger.warning(
            "could not deliver the programme report to %s: %s", facilitator.user_id, outcome.code
        )
        return
    chart = out.views.programme_chart(report, language)
    title = t("programme.report_title", language)
    where = Recipient(channel=outcome.channel)
    upload = Upload(chart, "programme-report.png", title)
    shared = deliver_file(out.gateway, upload, where)
    if not shared.delivered:
        logger.warning("could not share the programme chart: %s", shared.code)
