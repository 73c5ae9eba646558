from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from models.base import utcnow
from models.db import Database
from models.scheduling import SendState
from models.sends import claim, send_state, sends_in_doubt
from services.delivery import DeliveryError, FailureKind, Posted, Status, once


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
