"""Exactly-once sends (``services.delivery``): claims, typed outcomes, settling by marker."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models.base import utcnow
from models.db import Database
from models.scheduling import SendState
from models.sends import claim, mark_failed, send_state, sends_in_doubt
from services.delivery import (
    DeliveryError,
    FailureKind,
    Posted,
    Recipient,
    Status,
    deliver,
    once,
)
from tests.scheduler.conftest import eventually

MESSAGE = {"text": "hello"}


def test_a_send_goes_out_once_however_often_it_is_asked_for(database: Database) -> None:
    sent: list[str] = []

    def send() -> Posted:
        sent.append("poll")
        return Posted("D1", "1700000000.0001")

    first = once(database, "poll:1", send, holder="a")
    second = once(database, "poll:1", send, holder="b")
    assert (first.status, second.status) == (Status.SENT, Status.ALREADY_SENT)
    assert (second.channel, second.ts) == ("D1", "1700000000.0001")
    assert sent == ["poll"]
    with database.session() as session:
        assert send_state(session, "poll:1") == SendState.SENT


def test_concurrent_claims_of_one_key_have_exactly_one_winner(database: Database) -> None:
    winners: list[bool] = []
    start = threading.Barrier(6)

    def contend(number: int) -> None:
        start.wait()
        with database.session() as session:
            winners.append(claim(session, "poll:2", holder=f"instance-{number}"))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(winners) == [False] * 5 + [True]


def test_an_undelivered_send_is_tried_again_and_then_sent(database: Database) -> None:
    def refused() -> Posted:
        raise DeliveryError("channel_not_found", FailureKind.PERMANENT)

    refusal = once(database, "poll:3", refused, holder="a")
    assert (refusal.status, refusal.code) == (Status.PERMANENT, "channel_not_found")
    with database.session() as session:
        assert send_state(session, "poll:3") == SendState.FAILED
    assert once(database, "poll:3", lambda: None, holder="a").status is Status.SENT
    assert once(database, "poll:3", lambda: None, holder="a").status is Status.ALREADY_SENT


def test_a_send_that_broke_off_is_in_doubt_and_never_repeated(database: Database) -> None:
    sent: list[str] = []

    def times_out() -> Posted:
        sent.append("maybe")
        raise TimeoutError("read timed out")

    with pytest.raises(TimeoutError):
        once(database, "poll:4", times_out, holder="a")
    again = once(database, "poll:4", lambda: sent.append("again") or None, holder="b")
    assert again.status is Status.IN_DOUBT
    assert sent == ["maybe"]
    with database.session() as session:
        assert sends_in_doubt(session, older_than=timedelta(minutes=5)) == []
        doubtful = sends_in_doubt(
            session, older_than=timedelta(minutes=5), now=utcnow() + timedelta(minutes=6)
        )
        assert [row.key for row in doubtful] == ["poll:4"]


def _gateway(settings: Settings) -> SlackGateway:
    return SlackGateway(make_web_client(settings, timeout=1), SlackPacer(speedup=1000))


def _marked(slack: LocalSlack, channel: str, key: str) -> list[dict]:
    return [
        message
        for message in slack.history.get(channel, [])
        if ((message.get("metadata") or {}).get("event_payload") or {}).get("marker") == key
    ]


def test_a_post_that_broke_off_is_settled_by_a_later_call_not_by_itself(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    slack.add_user("U1", "one")
    dm = slack._dm("U1")
    slack.fail("chat.postMessage", delay=1.5)  # past the client's timeout, then posted
    gateway, to = _gateway(settings), Recipient(user_id="U1")

    first = deliver(database, gateway, MESSAGE, to, key="notice:1", settle_in_doubt=True)
    assert first.status is Status.IN_DOUBT
    # Asking Slack now could miss the post that is still on its way, and send it twice.
    assert slack.calls_to("conversations.history") == []
    assert eventually(lambda: len(_marked(slack, dm, "notice:1")) == 1)

    later = deliver(database, gateway, MESSAGE, to, key="notice:1", settle_in_doubt=True)
    [landed] = _marked(slack, dm, "notice:1")
    assert (later.status, later.channel, later.ts) == (Status.ALREADY_SENT, dm, landed["ts"])
    with database.session() as session:
        assert send_state(session, "notice:1") == SendState.SENT


def test_an_in_doubt_claim_that_slack_lacks_is_sent_once_and_an_old_check_cannot_release_it(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    slack.add_user("U2", "two")
    dm = slack._dm("U2")
    with database.session() as session:
        claim(session, "notice:2", holder="dead")  # a process died before Slack answered
    gateway, to = _gateway(settings), Recipient(user_id="U2")

    sent = deliver(database, gateway, MESSAGE, to, key="notice:2", settle_in_doubt=True)
    assert sent.status is Status.SENT
    assert len(_marked(slack, dm, "notice:2")) == 1
    with database.session() as session:
        # A slow check of the dead claim (attempt 1) must not release the send (attempt 2).
        assert mark_failed(session, "notice:2", error="not_posted", attempts=1) is False
        assert send_state(session, "notice:2") == SendState.SENT
    again = deliver(database, gateway, MESSAGE, to, key="notice:2", settle_in_doubt=True)
    assert again.status is Status.ALREADY_SENT
    assert len(_marked(slack, dm, "notice:2")) == 1
