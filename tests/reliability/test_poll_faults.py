"""Polls while Slack misbehaves: a fifth of Web API calls answer 429 or 500 or stall past the
client's timeout. Every member still gets their poll DM exactly once (a post that timed out but
landed is found again by its marker, not sent twice), and reminders go out at most once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models import DeliveryState, Participant, Poll, PollDelivery
from models.db import Database
from models.sends import claim
from services.poll_workflow import run_poll_sweep
from tests.polls.world import after, dm_of, make_round
from tests.slack_driver import text_of

CLIENT_TIMEOUT = 1  # seconds; a stall of STALL outlives it
STALL = 1.5
GROUPS = [[f"U3{tank}{person}" for person in range(4)] for tank in range(3)]
GONE = "U3GONE"  # deactivated: a permanent failure, reported, never delivered


def sweep_until(
    database: Database, settings: Settings, start: datetime, done, attempts: int = 30
) -> list[datetime]:
    """Sweeps an hour of the poll's clock apart (past any backoff), a stall apart in real time
    so that a post that timed out has landed before the next sweep asks Slack about it."""
    gateway = SlackGateway(
        make_web_client(settings, timeout=CLIENT_TIMEOUT), SlackPacer(speedup=1000)
    )
    moments = []
    for hour in range(attempts):
        now = start + timedelta(hours=hour)
        fresh = Database(database.url)
        try:
            run_poll_sweep(outbound(settings, fresh, gateway).held_by("chaos"), now)
        finally:
            fresh.dispose()
        moments.append(now)
        if done():
            return moments
        time.sleep(STALL + 0.2)
    raise AssertionError(f"not done after {attempts} sweeps")


def deliveries(database: Database) -> dict[str, PollDelivery]:
    with database.session() as session:
        found = {d.participant.user_id: d for d in session.scalars(select(PollDelivery))}
        session.expunge_all()
    return found


def polls_in(slack: LocalSlack, channel: str) -> list[dict]:
    return [
        m
        for m in slack.history.get(channel, [])
        if "poll:" in str((m.get("metadata") or {}).get("event_payload", {}).get("marker", ""))
    ]


@pytest.mark.parametrize("seed", [2])
def test_under_chaos_each_member_gets_one_poll_and_at_most_one_reminder(
    database: Database, slack: LocalSlack, settings: Settings, seed: int
) -> None:
    make_round(database, slack, [*GROUPS[:-1], [*GROUPS[-1], GONE]])
    slack.users[GONE].deleted = True
    members = [user for group in GROUPS for user in group]
    slack.chaos(rate=0.2, seed=seed, stall=STALL)

    def all_settled() -> bool:
        return all(
            d.state is DeliveryState.SENT if user != GONE else d.state is DeliveryState.FAILED
            for user, d in deliveries(database).items()
        )

    sweep_until(database, settings, after(14), all_settled)

    def all_reminded() -> bool:
        return all(d.reminded_at is not None for u, d in deliveries(database).items() if u != GONE)

    sweep_until(database, settings, after(18.5), all_reminded)
    time.sleep(STALL + 0.2)  # a reminder that stalled lands now
    faults = slack.calm()

    found = deliveries(database)
    for user in members:
        dm = dm_of(slack, user)
        [poll] = polls_in(slack, dm)  # exactly one poll message, whatever was retried
        assert (found[user].channel, found[user].ts) == (dm, poll["ts"])
        reminders = [m for m in slack.history.get(dm, []) if "reminder" in text_of(m).lower()]
        assert len(reminders) <= 1
    assert found[GONE].state is DeliveryState.FAILED
    # The facilitator hears of the one person who could not be reached, not of stalled posts.
    notices = [
        m for m in slack.history.get(dm_of(slack, "UFACIL"), []) if "could not" in text_of(m)
    ]
    assert len(notices) == 1 and f"<@{GONE}>" in text_of(notices[0])
    assert [u for u in members if f"<@{u}>" in text_of(notices[0])] == []
    # The chaos did bite, and at least one post timed out and had to be looked up.
    assert set(faults) == {"429", "500", "stall"}
    assert Counter(c.method for c in slack.calls)["conversations.history"] > 0


def test_a_poll_post_that_a_dead_process_left_unfinished_is_sent_once_when_slack_lacks_it(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    make_round(database, slack, [["U401", "U402"]])
    sweep_until(database, settings, after(1), lambda: True)  # plans the poll
    with database.session() as session:
        poll_id = session.scalars(select(Poll.id)).one()
        participant_id = session.scalars(
            select(Participant.id).where(Participant.user_id == "U401")
        ).one()
        # A process claimed U401's post and died before Slack answered.
        claim(
            session,
            f"poll:{poll_id}:to:{participant_id}",
            holder="dead",
            now=after(14) - timedelta(minutes=10),
        )

    sweep_until(database, settings, after(14), lambda: True)
    assert deliveries(database)["U401"].state is DeliveryState.IN_DOUBT
    assert polls_in(slack, dm_of(slack, "U401")) == []
    # The next sweep asks Slack, finds no such message, and sends it: once.
    sweep_until(database, settings, after(14) + timedelta(minutes=2), lambda: True)
    sweep_until(database, settings, after(14) + timedelta(minutes=4), lambda: True)
    [poll] = polls_in(slack, dm_of(slack, "U401"))
    assert deliveries(database)["U401"].ts == poll["ts"]
    assert len(polls_in(slack, dm_of(slack, "U402"))) == 1
    assert not [m for m in slack.history.get(dm_of(slack, "UFACIL"), [])]
