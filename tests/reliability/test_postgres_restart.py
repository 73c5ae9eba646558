"""PostgreSQL restarted under a running ``collider run --http``: requests after the restart
succeed (the pool pings connections before use and reconnects).

It restarts the local server the test run uses (one restart per run, and waits until it is
back), so it exists only when TEST_DATABASE_URL points at a local cluster this user can restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.local.slack import LocalSlack
from models import Idea
from models.db import Database
from tests.databases import scratch_postgres_database
from tests.http_process import HttpCollider
from tests.slack_driver import SlackDriver, sign

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
CLUSTERS = Path("/etc/postgresql")
RESTARTABLE = (
    SERVER_URL.startswith("postgresql")
    and make_url(SERVER_URL).host in ("127.0.0.1", "localhost")
    and shutil.which("pg_ctlcluster") is not None
    and CLUSTERS.is_dir()
    and os.geteuid() == 0
)
SECRET = "restart-signing-secret"
TOKEN = "xoxb-restart-token"


def restart_postgres() -> None:
    [version] = [path.name for path in CLUSTERS.iterdir()]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    wait_until_ready()


def wait_until_ready(timeout: float = 30) -> None:
    url = make_url(SERVER_URL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(
            ["pg_isready", "-h", str(url.host), "-p", str(url.port or 5432)], capture_output=True
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[HttpCollider, str, LocalSlack]]:
    with (
        scratch_postgres_database(SERVER_URL, "collider_restart") as url,
        LocalSlack(TOKEN) as slack,
    ):
        variables = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": url,
            "COLLIDER_SCHEDULER": "off",
        }
        try:
            with HttpCollider(variables, tmp_path, workers=1) as process:
                yield process, url, slack
        finally:
            wait_until_ready()  # whatever happened, leave the shared server up


if RESTARTABLE:

    def test_requests_after_a_postgres_restart_succeed(
        server: tuple[HttpCollider, str, LocalSlack],
    ) -> None:
        process, url, slack = server
        forms = SlackDriver(None, slack, SECRET)  # type: ignore[arg-type]

        def idea(text: str) -> int:
            body = forms.command_body("/idea", text, user="URESTART")
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
            status, answer = process.request("POST", "/slack/events", body, headers)
            assert b"Saved your idea" in answer, answer
            return status

        # Both gunicorn threads hold pooled connections from before the restart.
        assert [idea(f"Before restart {n}") for n in range(4)] == [200] * 4
        restart_postgres()
        assert [idea(f"After restart {n}") for n in range(8)] == [200] * 8
        status, health = process.request("GET", "/healthz")
        assert status == 200, health
        database = Database(url)
        try:
            with database.session() as session:
                bodies = sorted(session.scalars(select(Idea.body)))
        finally:
            database.dispose()
        assert bodies == sorted(
            [f"Before restart {n}" for n in range(4)] + [f"After restart {n}" for n in range(8)]
        )
