"""``collider run --http`` runs its background work (the scheduler and the similar-idea
sweeper) in one supervised process beside the request workers, never in them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.requests import LocalRequests
from bot.local.slack import LocalSlack
from tests.http_process import HttpCollider, clean_environment
from tests.scheduler.conftest import eventually
from tests.slack_driver import sign

# The servers write to the tests' database; its fixture empties it after each test.
pytestmark = pytest.mark.usefixtures("database")

BOT_TOKEN = "xoxb-background-process-bot-token"
SIGNING_SECRET = "background-process-signing-secret"
FORM = "application/x-www-form-urlencoded"
# Alike texts, so that each idea after the first has a similar one by someone else.
SEED = "Tool library for residents: lend drills, ladders and saws from the public library"
ALIKE = "A library where residents can borrow drills, ladders and saws ({})"
# Restarting means importing the whole app again, on a busy 2-core machine.
RESTART_SECONDS = 60.0


@pytest.fixture
def local_slack() -> Iterator[LocalSlack]:
    with LocalSlack(token=BOT_TOKEN) as server:
        yield server


def variables(database_url: str, local_slack: LocalSlack, **more: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": local_slack.api_url,
        "DATABASE_URL": database_url,
        **more,
    }


def start_collider(
    database_url: str, local_slack: LocalSlack, workdir: Path, workers: int = 2, **more: str
) -> HttpCollider:
    return HttpCollider(variables(database_url, local_slack, **more), workdir, workers=workers)


def pids(log: str, pattern: str) -> list[int]:
    return [int(found) for found in re.findall(pattern, log)]


def background_pids(server: HttpCollider) -> list[int]:
    return pids(server.log(), r"started the background process \(pid (\d+)\)")


def holders(log: str, what: str) -> list[int]:
    """The processes that announced they lead ``what`` ("sweeps ..." or "leads the ...")."""
    return pids(log, rf"{re.escape(socket.gethostname())}:(\d+) {what}")


def leads_both(server: HttpCollider, pid: int) -> bool:
    log = server.log()
    return pid in holders(log, "sweeps similar-idea") and pid in holders(log, "leads the scheduler")


class Ideas:
    """Posts ``/idea`` over HTTP, each with its own response URL, and reads the suggestions
    that came back through those URLs."""

    def __init__(self, server: HttpCollider, slack: LocalSlack):
        self.server = server
        self.slack = slack
        self.builder = LocalRequests(None, slack, SIGNING_SECRET)  # type: ignore[arg-type]
        self.keys: list[str] = []

    def post(self, text: str, user: str) -> str:
        key = f"bg-{uuid.uuid4().hex[:12]}"
        form = self.builder.command_body(
            "/idea", text, user=user, response_url=self.slack.response_url(key)
        )
        headers = {"Content-Type": FORM, **sign(SIGNING_SECRET, form)}
        status, _ = self.server.request("POST", "/slack/events", form, headers)
        assert status == 200
        return key

    def suggested(self) -> Counter[str]:
        return Counter(call.get("_key", "") for call in self.slack.calls_to("response_url"))

    def all_suggested(self, keys: list[str]) -> bool:
        got = self.suggested()
        return all(got[key] >= 1 for key in keys)


def test_the_background_process_sweeps_and_schedules_and_the_workers_do_not(
    database_url: str, local_slack: LocalSlack, tmp_path: Path
) -> None:
    with start_collider(database_url, local_slack, tmp_path) as server:
        assert eventually(lambda: len(background_pids(server)) == 1, timeout=10)
        (background,) = background_pids(server)
        assert eventually(lambda: leads_both(server, background), timeout=RESTART_SECONDS)
        ideas = Ideas(server, local_slack)
        ideas.post(SEED, user="UBG000")
        keys = [ideas.post(ALIKE.format(number), user=f"UBG{number:03d}") for number in (1, 2, 3)]
        assert eventually(lambda: ideas.all_suggested(keys), timeout=20)
        workers = pids(server.log(), r"Booting worker with pid: (\d+)")
        log = server.log()
    assert len(workers) == 2
    assert set(holders(log, "sweeps similar-idea")) == {background}
    assert set(holders(log, "leads the scheduler")) == {background}
    assert not set(workers) & {background}
    assert all(ideas.suggested()[key] == 1 for key in keys)


def test_a_killed_background_process_is_restarted_and_nothing_is_lost(
    database_url: str, local_slack: LocalSlack, tmp_path: Path
) -> None:
    with start_collider(database_url, local_slack, tmp_path, workers=1) as server:
        assert eventually(lambda: len(background_pids(server)) == 1, timeout=10)
        (first,) = background_pids(server)
        assert eventually(lambda: leads_both(server, first), timeout=RESTART_SECONDS)
        ideas = Ideas(server, local_slack)
        ideas.post(SEED, user="UBG000")

        os.kill(first, signal.SIGKILL)  # nothing is released, nothing is stopped cleanly
        # Acked and queued while no sweeper runs: the queue is in the database.
        keys = [ideas.post(ALIKE.format(number), user=f"UBG{number:03d}") for number in (1, 2)]
        assert eventually(lambda: len(background_pids(server)) == 2, timeout=10)
        second = background_pids(server)[-1]
        assert second != first
        assert eventually(lambda: leads_both(server, second), timeout=RESTART_SECONDS)
        keys.append(ideas.post(ALIKE.format(3), user="UBG003"))
        assert eventually(lambda: ideas.all_suggested(keys), timeout=20)
        assert server.stop() == 0
    assert all(ideas.suggested()[key] == 1 for key in keys)
    assert "Traceback" not in server.log()
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped with the server, and reaped by its supervisor


def gone(pid: int) -> bool:
    """Ended (a zombie counts: an orphan waits there for whoever adopted it to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux: prctl(PR_SET_PDEATHSIG)")
def test_a_killed_supervisor_takes_its_processes_with_it(
    database_url: str, local_slack: LocalSlack, tmp_path: Path
) -> None:
    with start_collider(database_url, local_slack, tmp_path, workers=1) as server:
        log = server.log()
        children = pids(log, r"started the (?:web|background) process \(pid (\d+)\)")
        assert len(children) == 2
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(5)
        try:
            # Else gunicorn would go on holding the port, and a new start could not bind it.
            assert eventually(lambda: all(gone(pid) for pid in children), timeout=20)
        finally:
            for pid in children:
                if not gone(pid):
                    os.kill(pid, signal.SIGTERM)  # not left behind by a failed run


def test_with_the_scheduler_off_the_background_process_only_sweeps(
    database_url: str, local_slack: LocalSlack, tmp_path: Path
) -> None:
    off = {"COLLIDER_SCHEDULER": "off"}
    with start_collider(database_url, local_slack, tmp_path, workers=1, **off) as server:
        assert eventually(lambda: len(background_pids(server)) == 1, timeout=10)
        (background,) = background_pids(server)
        sweeping = eventually(
            lambda: background in holders(server.log(), "sweeps similar-idea"),
            timeout=RESTART_SECONDS,
        )
        log = server.log()
    assert sweeping
    assert "scheduler off in this process (COLLIDER_SCHEDULER=off)" in log
    assert holders(log, "leads the scheduler") == []


def test_collider_scheduler_runs_the_scheduler_and_the_sweeper(
    database_url: str, local_slack: LocalSlack, tmp_path: Path
) -> None:
    log_path = tmp_path / "scheduler.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "scheduler"],
            env=clean_environment(variables(database_url, local_slack)),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            leading = eventually(
                lambda: (
                    {process.pid}
                    == set(holders(log_path.read_text(), "sweeps similar-idea"))
                    == set(holders(log_path.read_text(), "leads the scheduler"))
                ),
                timeout=RESTART_SECONDS,
            )
        finally:
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(30)
    assert leading, log_path.read_text()
    assert exit_code == 0
