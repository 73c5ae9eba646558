"""When the facilitator who moved an idea cannot be told what of the move Slack did not take
(they asked to be forgotten since, or their DM fails for good), the workspace's facilitators
are told instead: each once, in their own language, and never the forgotten mover."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from bot.settings import Settings
from handlers import ids
from models import StageEvaluation
from models.db import Database
from services import facilitators, participants, personal_data
from services.programme_workflow import run_evaluation_sweep
from tests.polls.world import FACILITATOR
from tests.programme.test_evaluation_lifecycle import UNAVAILABLE, states
from tests.programme.test_programme_path import assert_block_kit_limits, setup_tank
from tests.programme.test_undelivered import HEADER, scheduler_out
from tests.scheduler.conftest import eventually
from tests.slack_driver import SlackDriver, response_json, text_of

DORA, EERO = "UDORA", "UEERO"  # facilitators added in Slack; Eero reads Finnish
HEADER_FI = "Kaikki eivät saaneet tietoa siirrosta"


def told(slack: LocalSlack, user_id: str) -> list[dict[str, Any]]:
    """What ``user_id`` was told, in their DM, about messages of a move that did not go out."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call["channel"] == slack.dm_channel(user_id)
        and (HEADER in text_of(call) or HEADER_FI in text_of(call))
    ]


def add_facilitators(database: Database, slack: LocalSlack) -> None:
    """Dora and Eero, added as facilitators in Slack beside the configured one."""
    slack.add_user(DORA, "dora")
    slack.add_user(EERO, "eero")
    with database.session() as session:
        for user_id in (DORA, EERO):
            facilitators.add_facilitator(
                session, participants.SlackUser(TEAM_ID, FACILITATOR), user_id
            )
        participants.update_profile(
            session,
            participants.SlackUser(TEAM_ID, EERO),
            participants.ProfileUpdate(organisation=None, organisation_type=None, language="fi"),
        )


def move_as(driver: SlackDriver, user: str, idea_id: int, stage: str) -> None:
    view = driver.command_view("/collider", f"stage {idea_id}", user=user)
    values = {ids.STAGE_FIELDS["stage"]: {"option": stage}, ids.STAGE_FIELDS["note"]: ""}
    assert response_json(driver.submit(view, values, user=user))["response_action"] == "update"


def test_when_the_mover_was_forgotten_the_facilitators_are_told_once_in_their_language(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    add_facilitators(database, slack)
    # Dora moves the idea on; Ben's invitation waits for another try.
    slack.fail("conversations.open", error=UNAVAILABLE, where={"users": "UBEN"})
    move_as(driver, DORA, idea_id, "think_tank")
    move_as(driver, DORA, idea_id, "stopped")
    assert eventually(lambda: states(database) == ["pending", "sent", "sent"], timeout=10)
    with database.session() as session:
        closes_at = session.scalars(select(StageEvaluation.closes_at)).one()
        # Then Dora asks to be forgotten.
        assert personal_data.forget(session, participants.SlackUser(TEAM_ID, DORA), "en")
    calls_before = len(slack.calls)

    # At the close Ben's invitation is given up: the other facilitators are told, once.
    out = scheduler_out(settings, database)
    swept = run_evaluation_sweep(out, closes_at)
    assert len(swept.reported) == 1
    for minutes in (5, 10):
        run_evaluation_sweep(out, closes_at + timedelta(minutes=minutes))
    [note] = told(slack, FACILITATOR)
    assert_block_kit_limits(note)
    assert "<@UBEN>: not sent before the evaluation closed" in text_of(note)
    [finnish] = told(slack, EERO)
    assert HEADER_FI in text_of(finnish) and "<@UBEN>" in text_of(finnish)
    # Nothing went to the forgotten mover, nor was their DM even opened.
    after = slack.calls[calls_before:]
    assert not [c for c in after if c.method == "conversations.open" and DORA in str(c.params)]
    assert told(slack, DORA) == []


def test_when_the_movers_dm_fails_for_good_each_facilitator_is_told_once(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    add_facilitators(database, slack)
    move_as(driver, FACILITATOR, idea_id, "think_tank")
    slack.wait_for("chat.postMessage")  # the author's notice of that move
    # Aino's notice and Ben's invitation do not go out; neither can the mover be told. Eero's
    # DM does not open this one time (an outage): he is told by the sweep, the others not again.
    slack.fail("conversations.open", error="user_not_found", where={"users": "UAINO"})
    slack.fail("conversations.open", error="user_not_found", where={"users": "UBEN"})
    slack.fail("conversations.open", error="user_not_found", times=5, where={"users": FACILITATOR})
    slack.fail("conversations.open", error=UNAVAILABLE, where={"users": EERO})
    move_as(driver, FACILITATOR, idea_id, "stopped")
    assert eventually(lambda: len(told(slack, DORA)) == 1, timeout=10)
    shown = text_of(told(slack, DORA)[0])
    assert "<@UAINO>: `user_not_found`" in shown and "<@UBEN>: `user_not_found`" in shown
    assert told(slack, EERO) == []

    def given_back() -> bool:
        """Not all were told: the claim on telling of the invitations is given back."""
        with database.session() as session:
            evaluation = session.scalars(select(StageEvaluation)).one()
            return evaluation.failures_reported_at is None

    assert eventually(given_back, timeout=10)
    out = scheduler_out(settings, database)
    with database.session() as session:
        closes_at = session.scalars(select(StageEvaluation.closes_at)).one()
    for moment in (closes_at - timedelta(days=1), closes_at, closes_at + timedelta(minutes=5)):
        run_evaluation_sweep(out, moment)
    assert len(told(slack, DORA)) == 1
    [finnish] = told(slack, EERO)
    assert "<@UBEN>" in text_of(finnish)
    assert told(slack, FACILITATOR) == []


def test_a_mover_forgotten_while_the_move_goes_out_gets_nothing_and_the_others_are_told(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    add_facilitators(database, slack)
    move_as(driver, DORA, idea_id, "think_tank")
    slack.wait_for("chat.postMessage")  # the author's notice of that move
    # The author's next notice does not go out, and Slack is slow to say so: meanwhile the
    # mover asks to be forgotten.
    where = {"users": "UAINO"}
    slack.fail("conversations.open", error="user_not_found", delay=1.0, where=where)
    opened = len(slack.calls_to("conversations.open"))
    move_as(driver, DORA, idea_id, "stopped")
    slack.wait_for("conversations.open", opened + 1)
    with database.session() as session:
        assert personal_data.forget(session, participants.SlackUser(TEAM_ID, DORA), "en")
    calls_before = len(slack.calls)
    # Told last of all, and to someone.
    assert eventually(lambda: told(slack, DORA) or len(told(slack, EERO)) == 1, timeout=10)
    after = slack.calls[calls_before:]
    assert not [c for c in after if DORA in str(c.params)]
    assert told(slack, DORA) == []
    assert eventually(lambda: len(told(slack, FACILITATOR)) == 1, timeout=10)
    assert "<@UAINO>: `user_not_found`" in text_of(told(slack, FACILITATOR)[0])
    assert len(told(slack, EERO)) == 1
