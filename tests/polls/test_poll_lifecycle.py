"""Polls end to end with a controllable clock: planned from the think tank's start, sent once
after downtime, answered by buttons, reminded, closed; crafted answers refused."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.settings import Settings
from models import DeliveryState, Poll, PollAnswer, PollDelivery, PollState
from models.db import Database
from tests.polls.world import (
    after,
    answer_button,
    buttons,
    dm_of,
    make_round,
    poll_messages,
    sweep,
)
from tests.slack_driver import SlackDriver, text_of

PEOPLE = ["U201", "U202", "U203", "U204"]


def click(driver: SlackDriver, slack: LocalSlack, user: str, question: str, value: str):
    message = next(m for m in poll_messages(slack) if m["channel"] == dm_of(slack, user))
    button = answer_button(message, question, value)
    before = len(slack.calls_to("response_url"))
    driver.click(
        button["action_id"], button["value"], user=user, message=message, channel=message["channel"]
    )
    calls = slack.wait_for("response_url", before + 1)
    return calls[-1]


def test_planned_poll_due_in_downtime_goes_out_once_then_answers_reminders_and_close(
    driver: SlackDriver,
    database: Database,
    slack: LocalSlack,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, (tank_id,) = make_round(database, slack, [PEOPLE])
    slack.add_user("U999", "outsider")
    driver.command("/idea", "An outsider's idea about bicycles", user="U999")

    planned = sweep(database, settings, after(1))
    assert planned.planned == 1 and planned.sent == 0
    with database.session() as session:
        poll = session.scalars(select(Poll)).one()
        assert (poll.opens_at, poll.state, poll.anonymous) == (after(14), PollState.SCHEDULED, True)
        assert poll.think_tank_id == tank_id

    # No sweep ran on day 14 (the service was down); the first one after the restart sends it.
    first = sweep(database, settings, after(16))
    assert first.sent == 4
    again = [sweep(database, settings, after(16)), sweep(database, settings, after(16.5))]
    assert [result.sent for result in again] == [0, 0]
    sent = poll_messages(slack)
    assert sorted(call["channel"] for call in sent) == sorted(dm_of(slack, u) for u in PEOPLE)
    shown = text_of(sent[0])
    assert "Did your think tank meet?" in shown
    assert "Anonymous" in shown and "never who answered what" in shown

    # Answering: each click is saved and shown as chosen; a changed answer replaces the first.
    answer = click(driver, slack, "U201", "useful", "2")
    assert answer["replace_original"] is True
    chosen = [b["text"]["text"] for b in buttons(answer) if b.get("style") == "primary"]
    assert chosen == ["✓ 2"]
    click(driver, slack, "U201", "useful", "4")
    click(driver, slack, "U201", "met", "0")
    click(driver, slack, "U202", "useful", "5")
    with database.session() as session:
        answers = session.scalars(select(PollAnswer)).all()
        assert sorted((a.question_key, a.value) for a in answers) == [
            ("met", "0"),
            ("useful", "4"),
            ("useful", "5"),
        ]
        # Anonymous: nothing on an answer names the person.
        assert {a.participant_id for a in answers} == {None}
        assert len({a.respondent for a in answers}) == 2
        answered = {
            d.participant.user_id: d.answered for d in session.scalars(select(PollDelivery))
        }
        assert answered == {"U201": True, "U202": True, "U203": False, "U204": False}

    # A crafted payload: someone the poll was not sent to uses a real button value.
    with caplog.at_level(logging.WARNING):
        message = poll_messages(slack)[0]
        button = answer_button(message, "useful", "1")
        before = len(slack.calls_to("response_url"))
        driver.click(button["action_id"], button["value"], user="U999", message=message)
        refusal = slack.wait_for("response_url", before + 1)[-1]
    assert "not sent to you" in text_of(refusal)
    assert any(
        "refused an answer to poll" in r.message and "U999" in r.message for r in caplog.records
    )
    with database.session() as session:
        assert len(session.scalars(select(PollAnswer)).all()) == 3

    # Reminders go to those who have not answered, once.
    reminders_before = len(slack.calls_to("chat.postMessage"))
    reminded = sweep(database, settings, after(14 + 4.5))
    assert reminded.reminded == 2
    new = slack.calls_to("chat.postMessage")[reminders_before:]
    assert sorted(call["channel"] for call in new) == sorted(
        dm_of(slack, u) for u in ("U203", "U204")
    )
    assert "reminder" in text_of(new[0]).lower()
    assert sweep(database, settings, after(14 + 5)).reminded == 0

    # Closing: the poll closes itself and every message is redrawn without buttons.
    closed = sweep(database, settings, after(14 + 7.1))
    assert len(closed.closed) == 1
    updates = slack.calls_to("chat.update")
    assert len(updates) == 4
    assert all("poll_answer" not in json.dumps(call["blocks"]) for call in updates)
    assert "has closed" in text_of(updates[0])
    late = click(driver, slack, "U203", "useful", "3")
    assert "closed" in text_of(late)

    # Four weeks later the next poll of the think tank is planned and sent, once.
    nxt = sweep(database, settings, after(42.1))
    assert nxt.sent == 4
    with database.session() as session:
        sequences = [p.sequence for p in session.scalars(select(Poll).order_by(Poll.id))]
    assert sequences == [1, 2]


def test_a_whole_missed_window_is_skipped_not_sent_late(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    make_round(database, slack, [PEOPLE[:3]])
    # Down from before day 14 until day 30: poll 1's window (days 14-21) passed unseen, so
    # the next one (day 42) is planned instead of a stale one sent now.
    result = sweep(database, settings, after(30))
    assert result.sent == 0
    with database.session() as session:
        poll = session.scalars(select(Poll)).one()
        assert (poll.sequence, poll.opens_at) == (2, after(42))


def test_a_permanent_failure_skips_one_person_and_is_shown_to_the_facilitator(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    make_round(database, slack, [PEOPLE])
    slack.users["U203"].deleted = True
    # A temporary error for the first post: retried on a later sweep, after a pause.
    slack.fail("chat.postMessage", error="fatal_error", times=1)
    first = sweep(database, settings, after(14))
    assert first.sent == 2  # U201 hit the temporary error; U203 is deactivated
    with database.session() as session:
        states = {
            d.participant.user_id: (d.state, d.error) for d in session.scalars(select(PollDelivery))
        }
    assert states["U203"] == (DeliveryState.FAILED, "user_disabled")
    assert states["U201"] == (DeliveryState.PENDING, "fatal_error")
    assert sweep(database, settings, after(14)).sent == 0  # still pausing
    assert sweep(database, settings, after(14) + timedelta(minutes=2)).sent == 1

    notices = [
        call
        for call in slack.calls_to("chat.postMessage")
        if call["channel"] == dm_of(slack, "UFACIL")
    ]
    assert len(notices) == 1
    assert "could not reach 1" in text_of(notices[0]) and "<@U203>" in text_of(notices[0])
    sweep(database, settings, after(15))
    assert (
        len(
            [
                c
                for c in slack.calls_to("chat.postMessage")
                if c["channel"] == dm_of(slack, "UFACIL")
            ]
        )
        == 1
    )


def test_pending_polls_for_the_app_home(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    from models.queries import find_participant
    from services.polls import pending_polls

    make_round(database, slack, [PEOPLE[:3]])
    sweep(database, settings, after(14))
    with database.session() as session:
        person = find_participant(session, "T0LOCAL", "U201")
        assert person is not None
        pending = pending_polls(session, person, now=after(15))
        assert [(p.answered, p.closes_at) for p in pending] == [(False, after(21))]
        assert pending_polls(session, person, now=after(22)) == []


def test_app_home_lists_my_open_polls(
    database: Database, slack: LocalSlack, settings: Settings, driver: SlackDriver
) -> None:
    make_round(database, slack, [PEOPLE[:3]])
    sweep(database, settings, after(14))  # START is 15 days ago: the poll is open now
    driver.event({"type": "app_home_opened", "user": "U201", "channel": "D1", "tab": "home"})
    [published] = slack.wait_for("views.publish")
    home = text_of(published["view"])
    assert "My open polls" in home
