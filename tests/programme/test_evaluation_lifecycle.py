"""A stage evaluation's life after the move, at the Slack boundary: invitations Slack did not
take are sent again by the scheduler's sweep (once each, a few times at most, never after the
close), and when the evaluation closes, who answered is forgotten, as for polls."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.local.slack import LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from handlers import programme_blocks as views
from models import InviteState, StageEvaluation, StageEvaluationInvite
from models.base import utcnow
from models.db import Database
from scheduler.specs import EVALUATION_SWEEP_EVERY
from services.programme_report import Period, build_report
from services.programme_workflow import run_evaluation_sweep
from services.stage_evaluations import CLOSED_UNSENT, MAX_INVITE_ATTEMPTS
from tests.polls.world import gateway, leading_scheduler
from tests.programme.test_programme_path import (
    MEMBERS,
    invites_sent,
    move,
    open_form,
    refused,
    setup_tank,
)
from tests.scheduler.conftest import eventually
from tests.slack_driver import SlackDriver, response_json, text_of

# Slack answered, but did not do it: worth trying again later (not a person's problem).
UNAVAILABLE = "service_unavailable"


def invites(database: Database) -> list[StageEvaluationInvite]:
    with database.session() as session:
        found = session.scalars(select(StageEvaluationInvite).order_by(StageEvaluationInvite.id))
        return list(found)


def states(database: Database) -> list[str]:
    return sorted(invite.state.value for invite in invites(database))


def invitations(slack: LocalSlack) -> list[dict[str, Any]]:
    return [c for c in slack.calls_to("chat.postMessage") if views.EVALUATION_OPEN in json.dumps(c)]


def finish_stage(driver: SlackDriver, idea_id: int) -> None:
    """Move the idea into a think tank and stop it there: the think tank stage is evaluated."""
    move(driver, idea_id, "think_tank")
    move(driver, idea_id, "stopped")


def finish_with_one_invitation_waiting(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> datetime:
    """A finished stage whose evaluation has Ben's invitation waiting for another try; when the
    evaluation closes."""
    _, idea_id, _ = setup_tank(database, slack)
    slack.fail("conversations.open", error=UNAVAILABLE, where={"users": "UBEN"})
    finish_stage(driver, idea_id)
    assert eventually(lambda: states(database) == ["pending", "sent", "sent"], timeout=10)
    with database.session() as session:
        return session.scalars(select(StageEvaluation.closes_at)).one()


def test_an_invitation_slack_did_not_take_is_sent_by_the_scheduler_exactly_once(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    # One invitee's DM, this once (not the author's: the stage-move notices open theirs too).
    slack.fail("conversations.open", error=UNAVAILABLE, where={"users": "UBEN"})
    finish_stage(driver, idea_id)
    assert eventually(lambda: states(database) == ["pending", "sent", "sent"], timeout=10)
    [waiting] = [invite for invite in invites(database) if invite.state is InviteState.PENDING]
    assert waiting.attempts == 1 and waiting.error == UNAVAILABLE
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > utcnow()
    assert len(invitations(slack)) == 2

    out = outbound(settings, database, gateway(settings)).held_by("test")
    # Not before its pause is over.
    assert run_evaluation_sweep(out, waiting.next_attempt_at - timedelta(seconds=1)).sent == 0
    # The pause is over: the scheduler's sweep, run as the leader starts, sends it.
    with database.session() as session:
        session.execute(
            update(StageEvaluationInvite)
            .where(StageEvaluationInvite.id == waiting.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    with leading_scheduler(database, settings) as service:
        job = service.scheduler.get_job("collider:evaluations:sweep")
        assert job.func_ref == "scheduler.jobs:run_evaluation_sweep"
        assert job.trigger.interval == EVALUATION_SWEEP_EVERY
        assert eventually(lambda: states(database) == ["sent", "sent", "sent"], timeout=10)
        # Again (the next run, or another process): nobody is asked twice.
        job.modify(next_run_time=utcnow())
        assert not eventually(lambda: len(invitations(slack)) > 3, timeout=1)
    assert run_evaluation_sweep(out, utcnow() + timedelta(hours=1)).sent == 0
    channels = sorted(call["channel"] for call in invitations(slack))
    assert channels == sorted(slack.dm_channel(user) for user in MEMBERS)
    [retried] = [invite for invite in invites(database) if invite.id == waiting.id]
    assert retried.error is None and retried.attempts == 1


def test_an_invitation_is_given_up_after_its_last_try_and_recorded_failed(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    # Two members' DMs never open (the author's does: their stage-move notices need it too).
    unreachable = [user for user in MEMBERS if user != "UAINO"]
    for user in unreachable:
        where = {"users": user}
        slack.fail("conversations.open", error=UNAVAILABLE, times=MAX_INVITE_ATTEMPTS, where=where)
    finish_stage(driver, idea_id)
    assert eventually(
        lambda: sorted(i.attempts for i in invites(database)) == [0, 1, 1], timeout=10
    )
    out = outbound(settings, database, gateway(settings)).held_by("test")
    now = utcnow()
    for _ in range(MAX_INVITE_ATTEMPTS + 2):
        now += timedelta(hours=1)  # past every pause
        assert run_evaluation_sweep(out, now).sent == 0
    failed = [invite for invite in invites(database) if invite.state is InviteState.FAILED]
    assert len(failed) == len(unreachable)
    for invite in failed:
        assert invite.attempts == MAX_INVITE_ATTEMPTS and invite.error == UNAVAILABLE
        assert invite.next_attempt_at is None
    # Tried exactly that often, and not again.
    opened = [c for c in slack.calls_to("conversations.open") if c.get("users") in unreachable]
    assert len(opened) == len(unreachable) * MAX_INVITE_ATTEMPTS
    assert len(invitations(slack)) == 1  # the author's


def test_an_invitation_still_unsent_when_the_evaluation_closes_is_given_up(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    closes_at = finish_with_one_invitation_waiting(driver, database, slack)
    assert closes_at > utcnow() + timedelta(days=13)  # two weeks to answer
    out = outbound(settings, database, gateway(settings)).held_by("test")
    closed = run_evaluation_sweep(out, closes_at)
    assert closed.sent == 0 and len(closed.closed) == 1
    assert states(database) == ["failed", "sent", "sent"]
    assert {i.error for i in invites(database) if i.state is InviteState.FAILED} == {CLOSED_UNSENT}
    assert len(invitations(slack)) == 2


def test_who_answered_is_forgotten_when_the_evaluation_closes(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    finish_stage(driver, idea_id)
    [invitation, *_] = invites_sent(slack, 3)
    assert "You can answer until" in text_of(invitation)
    evaluation_id = next(
        e["value"] for b in invitation["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    fields = views.EVALUATION_FIELDS
    for user, rating in zip(MEMBERS, ("4", "5", "3"), strict=True):
        form = open_form(driver, slack, views.EVALUATION_OPEN, evaluation_id, user)
        answer = {fields["gave"]: "Contacts", fields["rating"]: {"option": rating}}
        assert response_json(driver.submit(form, answer, user=user))["response_action"] == "update"
    late_form = open_form(driver, slack, views.EVALUATION_OPEN, evaluation_id, MEMBERS[0])
    assert sum(invite.answered for invite in invites(database)) == 3
    with database.session() as session:
        evaluation = session.get(StageEvaluation, int(evaluation_id))
        team_id, closes_at = evaluation.team_id, evaluation.closes_at
    period = Period(utcnow().date() - timedelta(days=1), closes_at.date())

    def ratings() -> list[tuple[str, float, int]]:
        with database.session() as session:
            report = build_report(session, team_id, period)
        return [(cell.stage.value, cell.mean, cell.answers) for cell in report.ratings]

    before = ratings()
    assert before == [("think_tank", 4.0, 3)]

    out = outbound(settings, database, gateway(settings)).held_by("test")
    assert run_evaluation_sweep(out, closes_at - timedelta(seconds=1)).closed == []
    assert run_evaluation_sweep(out, closes_at).closed == [int(evaluation_id)]
    # Nothing says who answered any more; the answers, their count and rating stay.
    assert [invite.answered for invite in invites(database)] == [False, False, False]
    assert states(database) == ["sent", "sent", "sent"]
    assert ratings() == before
    assert run_evaluation_sweep(out, closes_at + timedelta(days=1)).closed == []

    # Closed: the button and a form opened before the close say so, and change nothing.
    assert "has closed" in refused(driver, slack, views.EVALUATION_OPEN, evaluation_id, "UBEN")
    late = {fields["gave"]: "Changed my mind", fields["rating"]: {"option": "1"}}
    answer = response_json(driver.submit(late_form, late, user=MEMBERS[0]))
    assert answer["response_action"] == "errors"
    assert "has closed" in json.dumps(answer["errors"])
    assert ratings() == before
    assert [invite.answered for invite in invites(database)] == [False, False, False]
