"""A poll goes out once per person even when its job runs twice at once, in two processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.settings import Settings
from models import DeliveryState, Poll, PollDelivery
from models.db import Database
from models.sends import send_state
from scheduler import context, jobs
from services.poll_workflow import send_poll_now
from tests.polls.world import after, dm_of, gateway, make_round, poll_messages

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [f"U6{n:02d}" for n in range(8)]


def test_two_processes_sweeping_at_once_send_each_poll_once(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    make_round(database, slack, [PEOPLE[:4], PEOPLE[4:]])
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.polls.sweep_instance",
                database.url,
                slack.api_url,
                after(14.5).isoformat(),
                "3",
                name,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    per_channel = Counter(call["channel"] for call in poll_messages(slack))
    assert per_channel == Counter({dm_of(slack, user): 1 for user in PEOPLE}), outputs
    sent_by = [int(line.split()[-1]) for out, _ in outputs for line in out.splitlines()]
    assert sum(sent_by) == 8, outputs  # between them, each person once
    with database.session() as session:
        planned = [
            (p.think_tank_id, p.sequence, p.state.value) for p in session.scalars(select(Poll))
        ]
        # Planned once per think tank: the open first poll, and the next one waiting.
        assert sorted(state for _, _, state in planned) == [
            "open",
            "open",
            "scheduled",
            "scheduled",
        ]
        assert len({(tank, sequence) for tank, sequence, _ in planned}) == 4
        deliveries = session.scalars(select(PollDelivery)).all()
        assert {d.state for d in deliveries} == {DeliveryState.SENT}
        for delivery in deliveries:
            key = f"poll:{delivery.poll_id}:to:{delivery.participant_id}"
            assert send_state(session, key).value == "sent"  # type: ignore[union-attr]


def test_the_send_poll_job_run_twice_at_once_sends_once(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    from bot.scheduling import outbound
    from services import polls as poll_service
    from services.participants import SlackUser

    round_id, _ = make_round(database, slack, [PEOPLE[:3]])
    with database.session() as session:
        poll_id = poll_service.create_adhoc_poll(
            session, SlackUser("T0LOCAL", "UFACIL"), poll_service.AdHocPoll(round_id=round_id)
        ).id
    installed = context.JobContext(database, outbound(settings, database, gateway(settings)), "t")
    context.install(installed)
    try:
        threads = [threading.Thread(target=jobs.send_poll, args=(poll_id,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        jobs.send_poll(poll_id)  # and once more, later: a re-run after a restart
    finally:
        context.clear(installed)
    assert sorted(call["channel"] for call in poll_messages(slack)) == sorted(
        dm_of(slack, user) for user in PEOPLE[:3]
    )
    assert send_poll_now(outbound(settings, database, gateway(settings)), poll_id).sent == 0
