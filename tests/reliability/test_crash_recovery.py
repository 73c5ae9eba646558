"""A bot process SIGKILLed while it carries out a round: after the restart the round completes,
each think tank with one conversation and one intro. And the lease rules that allow it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models import Round, RoundStatus, StepState
from models.base import utcnow
from models.db import Database
from services.round_runner import is_dead_local_runner, new_runner_id, resume_unfinished, run_round
from tests.http_process import clean_environment
from tests.reliability.seeding import marked, seed_confirmed_round, tanks_of

INTRO_STALL = 0.4  # Slack takes this long to answer each intro, so the kill finds one in flight


def dead_pid() -> int:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(finished.stdout)


def wait_for_intros(slack: LocalSlack, count: int, child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while len(marked(slack, "collider-intro-")) < count:
        assert child.poll() is None, "the round finished before it could be interrupted"
        assert time.monotonic() < deadline, "the child did not get going"
        time.sleep(0.02)


def test_sigkill_mid_round_then_restart_completes_it_without_duplicates(
    database: Database, slack: LocalSlack, settings: Settings, tmp_path: Path
) -> None:
    round_id = seed_confirmed_round(database, slack, people=30)
    slack.fail("chat.postMessage", delay=INTRO_STALL, times=100)
    variables = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token or "",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database.url,
    }
    log = (tmp_path / "child.log").open("w")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.round_child", str(round_id)],
        env=clean_environment(variables),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_intros(slack, 3, child)
        time.sleep(INTRO_STALL / 2)  # the fourth intro is on its way
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        log.close()
    assert child.returncode == -signal.SIGKILL
    with database.session() as session:
        stuck = session.get(Round, round_id)
        assert stuck is not None and stuck.status is RoundStatus.CONFIRMED
        assert stuck.runner and stuck.runner_until and stuck.runner_until > utcnow()
        assert is_dead_local_runner(stuck.runner)
    time.sleep(INTRO_STALL + 0.2)  # what Slack was doing when the process died, it finishes

    # The restarted process (here: this one) takes over at once, despite the 5-minute lease.
    gateway = SlackGateway(make_web_client(settings, timeout=5), SlackPacer(speedup=1000))
    outcomes = resume_unfinished(outbound(settings, database, gateway))
    assert [outcome.status for outcome in outcomes] == ["completed"]

    tanks = tanks_of(database, round_id)
    assert {(tank.conversation_state, tank.intro_state) for tank in tanks} == {
        (StepState.DONE, StepState.DONE)
    }
    intros = marked(slack, "collider-intro-")
    assert sorted(intros) == sorted(f"collider-intro-{tank.id}" for tank in tanks)
    assert set(intros.values()) == {1}, intros
    assert len({tank.conversation_id for tank in tanks}) == len(tanks)


def test_lease_of_a_live_or_remote_runner_is_respected_until_it_expires(
    database: Database, slack: LocalSlack, settings: Settings
) -> None:
    round_id = seed_confirmed_round(database, slack, people=6)
    gateway = SlackGateway(make_web_client(settings, timeout=5), SlackPacer(speedup=1000))
    live_here = f"{new_runner_id().split('/')[0]}/{os.getppid()}/abc"
    elsewhere = f"other-host/{dead_pid()}/abc"
    dead_here = f"{new_runner_id().split('/')[0]}/{dead_pid()}/abc"
    assert not is_dead_local_runner(live_here)
    assert not is_dead_local_runner(elsewhere)  # no way to tell from here: wait for the lease
    assert is_dead_local_runner(dead_here)

    def hold(runner: str, for_seconds: float) -> None:
        with database.session() as session:
            round_ = session.get(Round, round_id)
            assert round_ is not None
            round_.runner, round_.runner_until = runner, utcnow() + timedelta(seconds=for_seconds)

    for runner in (live_here, elsewhere):
        hold(runner, 300)
        assert run_round(outbound(settings, database, gateway), round_id).status == "busy"
        assert marked(slack, "collider-intro-") == {}
    hold(elsewhere, -1)  # expired
    assert run_round(outbound(settings, database, gateway), round_id).status == "completed"
    assert len(marked(slack, "collider-intro-")) == 2
