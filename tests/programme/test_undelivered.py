"""Messages of a stage move or an experiment that Slack did not take are told, by name and once,
to the facilitator whose doing they were: the invitations to evaluate a stage (when none is
waiting any more), the author's notice, the card's prompt, and the result requests. Answers
stay anonymous all along."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from handlers import programme_blocks as views
from models import Experiment, Participant, StageEvaluation, ThinkTank, ThinkTankMember
from models.base import utcnow
from models.db import Database
from services.outgoing import Outbound
from services.programme_report import Period, build_report
from services.programme_workflow import ask_due_results, run_evaluation_sweep
from services.stage_evaluations import MAX_INVITE_ATTEMPTS
from tests.polls.world import FACILITATOR, gateway
from tests.programme.test_evaluation_lifecycle import (
    UNAVAILABLE,
    finish_stage,
    finish_with_one_invitation_waiting,
    states,
)
from tests.programme.test_programme_path import (
    assert_block_kit_limits,
    invites_sent,
    move,
    open_form,
    setup_tank,
)
from tests.scheduler.conftest import eventually
from tests.slack_driver import SlackDriver, response_json, text_of

HEADER = "Not everyone heard of the move"


def told(slack: LocalSlack, header: str = HEADER) -> list[dict[str, Any]]:
    """What the facilitator was told, in their DM, about messages that did not go out."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call["channel"] == slack.dm_channel(FACILITATOR) and header in text_of(call)
    ]


def the_note(slack: LocalSlack, header: str = HEADER) -> str:
    """The one message the facilitator was told, once it came (within Block Kit limits)."""
    assert eventually(lambda: len(told(slack, header)) >= 1, timeout=10)
    [note] = told(slack, header)
    assert_block_kit_limits(note)
    assert "<!" not in text_of(note, formatted_only=True)  # nothing of ours pings anyone
    return text_of(note)


def scheduler_out(settings: Settings, database: Database) -> Outbound:
    return outbound(settings, database, gateway(settings)).held_by("test")


def answer(driver: SlackDriver, slack: LocalSlack, evaluation_id: str, users: list[str]) -> None:
    for user in users:
        form = open_form(driver, slack, views.EVALUATION_OPEN, evaluation_id, user)
        values = {views.EVALUATION_FIELDS["rating"]: {"option": "4"}}
        assert response_json(driver.submit(form, values, user=user))["response_action"] == "update"


def evaluation_of(invitation: dict[str, Any]) -> str:
    return next(
        e["value"] for b in invitation["blocks"] if b["type"] == "actions" for e in b["elements"]
    )


def test_the_mover_learns_whom_the_invitations_missed_and_answers_stay_anonymous(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    # Slack will never take Ben's invitation (his account is gone): failed at once.
    slack.fail("conversations.open", error="user_not_found", where={"users": "UBEN"})
    finish_stage(driver, idea_id)
    invitations = invites_sent(slack, 2)
    shown = the_note(slack)
    assert "Tool library" in shown
    assert "1 invitation of 3 to evaluate the Think tank stage could not be delivered" in shown
    assert "<@UBEN>: `user_not_found`" in shown
    # Invitations are not anonymous, answers are: those who got theirs are not listed.
    assert "UAINO" not in shown and "UCARL" not in shown

    # The two who got it answer; the evaluation closes; nobody is told a second time.
    evaluation_id = evaluation_of(invitations[0])
    answer(driver, slack, evaluation_id, ["UAINO", "UCARL"])
    with database.session() as session:
        evaluation = session.get(StageEvaluation, int(evaluation_id))
        team_id, closes_at = evaluation.team_id, evaluation.closes_at
    swept = run_evaluation_sweep(scheduler_out(settings, database), closes_at)
    assert swept.closed == [int(evaluation_id)]
    assert len(told(slack)) == 1
    # The report still leaves out an evaluation of two answers, and counts the one not reached.
    driver.command("/collider", "report programme", user=FACILITATOR)
    slack.wait_for("files.completeUploadExternal")
    report = next(c for c in slack.calls_to("chat.postMessage") if "Programme report" in text_of(c))
    assert "No stage evaluation has three answers" in text_of(report)
    assert "(2 answers)" not in text_of(report)
    assert "1 stage evaluation invitation of this period could not be delivered" in text_of(report)
    with database.session() as session:
        period = Period(utcnow().date() - timedelta(days=1), closes_at.date())
        figures = build_report(session, team_id, period)
    assert figures.ratings == [] and figures.invitations_not_delivered == 1


def test_invitations_given_up_after_their_last_try_are_told_once(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    # Ben's DM never opens (an outage on his side), Carl's account is gone.
    where = {"users": "UBEN"}
    slack.fail("conversations.open", error=UNAVAILABLE, times=MAX_INVITE_ATTEMPTS, where=where)
    slack.fail("conversations.open", error="user_not_found", where={"users": "UCARL"})
    finish_stage(driver, idea_id)
    assert eventually(lambda: states(database) == ["failed", "pending", "sent"], timeout=10)
    # Ben's invitation is still to be tried again: nothing to tell yet.
    assert told(slack) == []
    out = scheduler_out(settings, database)
    now = utcnow()
    for _ in range(MAX_INVITE_ATTEMPTS + 2):
        now += timedelta(hours=1)  # past every pause
        run_evaluation_sweep(out, now)
    assert states(database) == ["failed", "failed", "sent"]
    shown = the_note(slack)  # once, though the sweep ran on
    assert "2 invitations of 3" in shown
    assert f"<@UBEN>: `{UNAVAILABLE}`" in shown and "<@UCARL>: `user_not_found`" in shown
    assert "UAINO" not in shown


def test_an_invitation_unsent_at_the_close_is_told_and_a_failed_telling_is_retried(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    closes_at = finish_with_one_invitation_waiting(driver, database, slack)
    out = scheduler_out(settings, database)
    # At the close Ben's invitation is given up; the facilitator's DM does not open this time.
    slack.fail("conversations.open", error=UNAVAILABLE, where={"users": FACILITATOR})
    assert len(run_evaluation_sweep(out, closes_at).closed) == 1
    assert states(database) == ["failed", "sent", "sent"] and told(slack) == []
    # Not lost: the next sweep tells them, and the one after does not tell again.
    run_evaluation_sweep(out, closes_at + timedelta(minutes=5))
    assert len(told(slack)) == 1
    run_evaluation_sweep(out, closes_at + timedelta(minutes=10))
    assert "<@UBEN>: not sent before the evaluation closed" in the_note(slack)


def test_the_author_notice_card_prompt_and_invitations_missed_come_in_one_dm(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, conversation = setup_tank(database, slack)
    move(driver, idea_id, "think_tank")
    slack.wait_for("chat.postMessage")  # the author's notice of that move
    # Aino's DM no longer opens (the notice and her invitation), and the bot was removed
    # from the group's conversation (the card's prompt).
    slack.fail("conversations.open", error="user_not_found", times=2, where={"users": "UAINO"})
    slack.fail("chat.postMessage", error="not_in_channel", where={"channel": conversation})
    move(driver, idea_id, "experiment")
    shown = the_note(slack)
    assert "The notice to its author did not go out" in shown
    assert "<@UAINO>: `user_not_found`" in shown
    assert "prompt was not posted in the think tank's conversation (`not_in_channel`)" in shown
    assert "1 invitation of 3" in shown
    # Told once: the sweep does not tell of the invitations again on their own.
    with database.session() as session:
        closes_at = session.scalars(select(StageEvaluation.closes_at)).one()
    out = scheduler_out(settings, database)
    run_evaluation_sweep(out, utcnow() + timedelta(minutes=5))
    run_evaluation_sweep(out, closes_at)
    assert len(told(slack)) == 1


def test_a_failed_author_notice_alone_is_told_to_the_mover(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    slack.fail("conversations.open", error="user_not_found", where={"users": "UAINO"})
    move(driver, idea_id, "think_tank")  # no stage finished yet: no evaluation
    shown = the_note(slack)
    assert "<@UAINO>: `user_not_found`" in shown and "invitation" not in shown
    assert "tell them yourself" in shown


def test_the_experiment_facilitator_learns_whom_the_result_request_missed(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    move(driver, idea_id, "think_tank")
    move(driver, idea_id, "experiment")
    invites_sent(slack, 3)
    with database.session() as session:
        experiment = session.scalars(select(Experiment)).one()
        experiment.filled_at, experiment.ends_on = utcnow(), date.today()
        experiment.title = "Tool library <!channel>"
    slack.fail("conversations.open", error="user_not_found", where={"users": "UCARL"})
    out = scheduler_out(settings, database)
    assert ask_due_results(out, date.today()) == 3  # the facilitator and two of the group
    header = "The request for the result of the experiment"
    shown = the_note(slack, header)
    assert "did not reach 1 person" in shown and "<@UCARL>: `user_not_found`" in shown
    assert "Tool library &lt;!channel&gt;" in shown
    # Asked once, told once.
    assert ask_due_results(out, date.today()) == 0
    assert len(told(slack, header)) == 1


def test_someone_not_in_slack_is_never_messaged_and_named_to_the_mover(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    tank_id, idea_id, _ = setup_tank(database, slack)
    with database.session() as session:
        imported = Participant(
            team_id=TEAM_ID, user_id="offline-maija", display_name="Maija <!here>", is_offline=True
        )
        session.add(imported)
        session.flush()
        round_id = session.get(ThinkTank, tank_id).round_id
        session.add(
            ThinkTankMember(round_id=round_id, think_tank_id=tank_id, participant_id=imported.id)
        )
    finish_stage(driver, idea_id)
    invites_sent(slack, 3)
    shown = the_note(slack)
    assert "1 invitation of 4" in shown
    assert "Maija &lt;!here&gt; _(not in Slack: invite them yourself)_" in shown
    assert "offline-" not in json.dumps([call.params for call in slack.calls])


def test_a_charter_slack_did_not_post_is_told_to_whoever_saved_it(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    tank_id, _, conversation = setup_tank(database, slack)
    # The bot was removed from the group's conversation.
    slack.fail("chat.postMessage", error="not_in_channel", where={"channel": conversation})
    view = open_form(driver, slack, views.CHARTER_OPEN, str(tank_id), "UBEN")
    values = {
        views.CHARTER_FIELDS["goal"]: "A tool library by May",
        views.CHARTER_FIELDS["roles"]: "Ben books rooms",
        views.CHARTER_FIELDS["ground_rules"]: "We meet on Mondays",
    }
    assert response_json(driver.submit(view, values, user="UBEN"))["response_action"] == "update"

    def told_ben() -> list[dict[str, Any]]:
        return [
            call
            for call in slack.calls_to("chat.postMessage")
            if call["channel"] == slack.dm_channel("UBEN") and "not posted" in text_of(call)
        ]

    assert eventually(lambda: len(told_ben()) == 1, timeout=10)
    assert "`not_in_channel`" in text_of(told_ben()[0])
    assert slack.calls_to("pins.add") == []
