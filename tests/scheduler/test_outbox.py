from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from models.base import utcnow
from models.db import Database
from models.scheduling import SendState
from scheduler.outbox import (
    NotDelivered,
    SendOutcome,
    claim,
    send_once,
    send_state,
    sends_in_doubt,
)


def test_a_send_goes_out_once_however_often_it_is_asked_for(database: Database) -> None:
    sent: list[str] = []

    def send() -> str:
        sent.append("poll")
        return "1700000000.0001"

    first = send_once(database, "poll:1", send, holder="a")
    second = send_once(database, "poll:1", send, holder="b")
    assert (first, second) == (SendOutcome.SENT, SendOutcome.ALREADY_SENT)
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
    def refused() -> str:
        raise NotDelivered("channel_not_found")

    assert send_once(database, "poll:3", refused, holder="a") == SendOutcome.FAILED
    with database.session() as session:
        assert send_state(session, "poll:3") == SendState.FAILED
    assert send_once(database, "poll:3", lambda: "ts", holder="a") == SendOutcome.SENT
    assert send_once(database, "poll:3", lambda: "ts", holder="a") == SendOutcome.ALREADY_SENT


def test_a_send_that_broke_off_is_in_doubt_and_never_repeated(database: Database) -> None:
    sent: list[str] = []

    def times_out() -> str:
        sent.append("maybe")
        raise TimeoutError("read timed out")

    with pytest.raises(TimeoutError):
        send_once(database, "poll:4", times_out, holder="a")
    assert send_once(database, "poll:4", lambda: sent.append("again") or "ts", holder="b") == (
        SendOutcome.IN_DOUBT
    )
    assert sent == ["maybe"]
    with database.session() as session:
        assert sends_in_doubt(session, older_than=timedelta(minutes=5)) == []
        doubtful = sends_in_doubt(
            session, older_than=timedelta(minutes=5), now=utcnow() + timedelta(minutes=6)
        )
        assert [row.key for row in doubtful] == ["poll:4"]
