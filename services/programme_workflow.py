"""Programme work that runs after an ack or on the scheduler: the charter posted and pinned in
the group's conversation, the experiment card asked for after a stage move, stage-evaluation
invitations, result requests at an experiment's end date, and the programme report by DM.

Every message goes through ``services.delivery.deliver`` under a key naming that one occurrence
(``charter:{id}:post``, ``experiment:{id}:prompt:{move}:{target}``,
``evaluation:{id}:invite:{participant}``, ``experiment:{id}:result:{participant}``), so a job
that runs twice, in two processes, or again after a crash never sends it twice. Only answers to
what someone just asked (their saved card, the report they asked for) go without a key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import t
from models import Charter, Experiment, Idea, InviteState, StageEvaluation, ThinkTank
from models.queries import find_participant
from services import charters, experiments, stage_evaluations
from services.delivery import (
    DeliveryError,
    Message,
    Outcome,
    Recipient,
    Status,
    deliver,
    share_file,
)
from services.outgoing import Outbound
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


def post_charter(out: Outbound, charter_id: int) -> None:
    """Post the charter in the group's conversation once (later edits change that message in
    place), and pin it once."""
    post = _charter_post(out, charter_id)
    if post is None:
        return
    ts = post.ts
    if ts:
        try:
            out.gateway.update(post.channel, ts, post.message)
        except DeliveryError as error:
            logger.warning("charter %s: could not edit its message (%s)", charter_id, error.code)
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
            return
        ts = outcome.ts
    pinned = post.pinned or _pin(out, post.channel, ts, charter_id)
    with out.database.session() as session:
        charters.record_message(session, charter_id, ts, pinned)


def _pin(out: Outbound, channel: str, ts: str, charter_id: int) -> bool:
    try:
        out.gateway.pin(channel, ts)
    except DeliveryError as error:
        # Not pinned: the next save of the charter tries again.
        logger.warning("charter %s: could not pin it (%s)", charter_id, error.code)
        return False
    return True


# -- after a stage move --------------------------------------------------------------------------
def follow_up_move(
    out: Outbound,
    mover: SlackUser,
    change_id: int,
    experiment_id: int | None,
    evaluation_id: int | None,
) -> None:
    """Invite the card's people to fill it in, and everyone involved to evaluate the stage."""
    if experiment_id is not None:
        prompt_card(out, mover, change_id, experiment_id)
    if evaluation_id is not None:
        send_invites(out, evaluation_id)


def prompt_card(out: Outbound, mover: SlackUser, change_id: int, experiment_id: int) -> None:
    """Ask the think tank (in its conversation) and the facilitator who moved the idea (by DM)
    to fill in the experiment card."""
    default = out.settings.default_language
    with out.database.session() as session:
        experiment = session.get(Experiment, experiment_id)
        if experiment is None:
            return
        tank = (
            session.get(ThinkTank, experiment.think_tank_id) if experiment.think_tank_id else None
        )
        mover_language = language_of(
            find_participant(session, mover.team_id, mover.user_id), default
        )
        prompts = [("mover", Recipient(user_id=mover.user_id), mover_language)]
        if tank is not None and tank.conversation_id:
            prompts.insert(0, ("tank", Recipient(channel=tank.conversation_id), tank.language))
        messages = [
            (target, to, out.views.experiment_prompt(experiment, language))
            for target, to, language in prompts
        ]
    for target, to, message in messages:
        key = f"experiment:{experiment_id}:prompt:{change_id}:{target}"
        outcome = deliver(out.database, out.gateway, message, to, key=key, holder=out.holder)
        if outcome.failed:
            logger.warning(
                "experiment %s: no prompt to the %s (%s)", experiment_id, target, outcome.code
            )


def send_invites(out: Outbound, evaluation_id: int) -> int:
    """DM each pending invitee; a person Slack cannot reach is marked failed, the rest go on."""
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
            for invitee in stage_evaluations.pending_invites(session, evaluation_id)
        ]
    sent = 0
    for invitee, message in invitees:
        outcome = deliver(
            out.database,
            out.gateway,
            message,
            Recipient(user_id=invitee.user_id),
            key=f"evaluation:{evaluation_id}:invite:{invitee.participant.id}",
            holder=out.holder,
        )
        sent += outcome.status is Status.SENT
        state = _invite_state(outcome)
        if outcome.failed:
            logger.warning(
                "stage evaluation %s: %s unreachable (%s)",
                evaluation_id,
                invitee.user_id,
                outcome.code,
            )
        with out.database.session() as session:
            stage_evaluations.mark_invite(session, invitee.invite_id, state)
    return sent


def _invite_state(outcome: Outcome) -> InviteState:
    if outcome.delivered:
        return InviteState.SENT
    if outcome.status is Status.PERMANENT:
        return InviteState.FAILED
    return InviteState.PENDING


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
        retry = False
        for participant_id, user_id, message in messages:
            outcome = deliver(
                out.database,
                out.gateway,
                message,
                Recipient(user_id=user_id),
                key=f"experiment:{experiment_id}:result:{participant_id}",
                holder=out.holder,
            )
            asked += outcome.status is Status.SENT
            retry = retry or outcome.status in (Status.TEMPORARY, Status.RETRY_AFTER)
            if outcome.failed:
                logger.warning(
                    "experiment %s: could not ask %s (%s)", experiment_id, user_id, outcome.code
                )
        if retry:
            with out.database.session() as session:
                experiments.release_result_request(session, experiment_id)
    return asked


def _result_requests(
    out: Outbound, session: Session, experiment_id: int
) -> list[tuple[int, str, Message]]:
    experiment = session.get(Experiment, experiment_id)
    assert experiment is not None
    default = out.settings.default_language
    return [
        (
            person.id,
            person.user_id,
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
    outcome = deliver(out.database, out.gateway, message, Recipient(user_id=user.user_id), key=None)
    if not outcome.delivered:
        logger.warning("could not DM card %s to %s: %s", experiment_id, user.user_id, outcome.code)


def deliver_programme_report(
    out: Outbound, facilitator: SlackUser, period: Period, language: str
) -> None:
    """Build the report and post it, with its charts, to the facilitator's DM."""
    with out.database.session() as session:
        report = build_report(session, facilitator.team_id, period)
    message = out.views.programme_report(report, language)
    to = Recipient(user_id=facilitator.user_id)
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
    shared = share_file(out.gateway, where, chart, "programme-report.png", title)
    if not shared.delivered:
        logger.warning("could not share the programme chart: %s", shared.code)
