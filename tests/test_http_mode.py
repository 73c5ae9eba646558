"""``collider run --http`` end to end: a real gunicorn process, signed HTTP requests, a real
database, and the Web API faked by LocalSlack."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.local.slack import LocalSlack
from models import Idea
from models.db import Database
from tests.http_process import HttpCollider, run_collider
from tests.slack_driver import SlackDriver, sign, text_of

# Distinctive values, so a leak into the logs cannot hide behind a common word.
BOT_TOKEN = "xoxb-http-mode-7f3a9c-bot-token"
SIGNING_SECRET = "http-mode-signing-secret-51d0e2"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def local_slack() -> Iterator[LocalSlack]:
    with LocalSlack(token=BOT_TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def server(
    database_url: str, local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HttpCollider]:
    variables = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": local_slack.api_url,
        "DATABASE_URL": database_url,
    }
    # -v: the debug logs are where a secret would most likely slip out.
    with HttpCollider(variables, tmp_path_factory.mktemp("http"), verbose=True) as process:
        yield process


@pytest.fixture
def store(database: Database, server: HttpCollider) -> Database:
    # The tests' own view of the server's database; emptied after each test like any other.
    return database


@pytest.fixture(scope="module")
def slack_form(local_slack: LocalSlack) -> SlackDriver:
    # Only its payload builders are used here; requests go over HTTP, not to an in-process app.
    return SlackDriver(None, local_slack, SIGNING_SECRET)  # type: ignore[arg-type]


def ideas_with_body(store: Database, body: str) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Idea).where(Idea.body == body)) or 0


def post_signed(server: HttpCollider, body: str, secret: str = SIGNING_SECRET) -> tuple[int, bytes]:
    return server.request(
        "POST", "/slack/events", body, {"Content-Type": FORM, **sign(secret, body)}
    )


def test_health_check_answers_ok(server: HttpCollider) -> None:
    status, body = server.request("GET", "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_signed_idea_command_is_confirmed_and_stored_once(
    server: HttpCollider, store: Database, slack_form: SlackDriver
) -> None:
    text = f"Community sauna by the harbour {uuid.uuid4().hex}"
    form = slack_form.command_body("/idea", text, user="UHTTP01")

    status, body = post_signed(server, form)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert "Saved your idea" in text_of(answer)
    assert ideas_with_body(store, text) == 1

    # Slack retries with the same trigger_id: the answer says so, and nothing is stored twice.
    status, body = post_signed(server, form)
    assert status == 200
    assert "Already saved" in text_of(json.loads(body))
    assert ideas_with_body(store, text) == 1


def test_bad_signature_is_refused_and_nothing_stored(
    server: HttpCollider, store: Database, slack_form: SlackDriver
) -> None:
    text = f"Forged idea {uuid.uuid4().hex}"
    status, _ = post_signed(server, slack_form.command_body("/idea", text), secret="not-the-secret")
    assert status == 401
    unsigned = server.request("POST", "/slack/events", slack_form.command_body("/idea", text))
    assert unsigned[0] == 401
    assert ideas_with_body(store, text) == 0


def test_unknown_path_is_not_found(server: HttpCollider, slack_form: SlackDriver) -> None:
    assert server.request("GET", "/nothing-here")[0] == 404
    form = slack_form.command_body("/idea", "misdirected")
    status, _ = server.request(
        "POST", "/slack/other", form, {"Content-Type": FORM, **sign(SIGNING_SECRET, form)}
    )
    assert status == 404


def test_secrets_never_reach_the_logs(
    server: HttpCollider, store: Database, slack_form: SlackDriver
) -> None:
    text = f"Logged idea {uuid.uuid4().hex}"
    assert post_signed(server, slack_form.command_body("/idea", text))[0] == 200
    assert post_signed(server, slack_form.command_body("/idea", text), secret="wrong")[0] == 401
    log = server.log()
    assert "Booting worker" in log  # the log is really being written, and at debug level:
    assert " DEBUG " in log
    # Nothing but gunicorn runs in its master: no thread is there to be forked half-way.
    assert "the master forks a worker with 1 thread" in log
    assert BOT_TOKEN not in log
    assert SIGNING_SECRET not in log


def test_sigterm_shuts_down_cleanly(local_slack: LocalSlack, tmp_path: Path) -> None:
    # Shutdown is gunicorn's business, the same on every backend: SQLite is enough.
    variables = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": local_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shutdown.sqlite3'}",
    }
    with HttpCollider(variables, tmp_path) as process:
        assert process.request("GET", "/healthz")[0] == 200
        exit_code = process.stop()
    assert exit_code == 0
    log = process.log()
    assert "Shutting down" in log
    assert "Traceback" not in log
    with pytest.raises(OSError):
        process.request("GET", "/healthz", timeout=1)


def test_http_mode_without_signing_secret_names_the_variable(tmp_path: Path) -> None:
    variables = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    result = run_collider(["run", "--http", "--port", "1"], variables, tmp_path)
    assert result.returncode != 0
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert BOT_TOKEN not in result.stderr + result.stdout
    assert not (tmp_path / "unused.sqlite3").exists()  # it stopped before touching anything


def test_socket_mode_without_app_token_names_the_variable(tmp_path: Path) -> None:
    variables = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    result = run_collider(["run"], variables, tmp_path)
    assert result.returncode != 0
    assert "SLACK_APP_TOKEN" in result.stderr
    assert BOT_TOKEN not in result.stderr + result.stdout
    assert SIGNING_SECRET not in result.stderr + result.stdout


def test_the_server_listens_on_this_host_only_by_default() -> None:
    from bot.commands.run import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert parser.parse_args(["run", "--http"]).host == "127.0.0.1"
    assert parser.parse_args(["run", "--http", "--host", "0.0.0.0"]).host == "0.0.0.0"
