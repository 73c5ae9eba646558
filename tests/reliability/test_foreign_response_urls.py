"""A signed request that names a response URL which is not Slack's (another host, a look-alike of
Slack's) is refused before any listener runs: a 400, nothing stored, nothing posted there, and a
warning naming the host (``bot/response_urls.py``). Otherwise anyone holding the signing secret
could make the bot POST to internal hosts, or read its answers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import BoltResponse
from sqlalchemy import func, select

from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.suggestions import SuggestionSweeper
from handlers import ids
from models import HandledRequest, Idea, IdeaStatus, PendingSuggestion
from models.db import Database
from tests.slack_driver import SlackDriver
from tests.test_responding import Serial

SECRET_PART = "s3cr3tT0k3n"
# Slack's host in disguise: a longer name, userinfo in front, or plain http.
LOOK_ALIKES = [
    f"https://hooks.slack.com.evil.example/commands/T1/2/{SECRET_PART}",
    f"https://evil@hooks.slack.com/commands/T1/2/{SECRET_PART}",
    f"http://hooks.slack.com/commands/T1/2/{SECRET_PART}",
]
SIMILAR = "A tool library where residents lend drills, ladders and garden tools"


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Elsewhere(ThreadingHTTPServer):
    """A host on 127.0.0.1 that is not the local Slack: counts every connection made to it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.connections = 0

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    server = Elsewhere()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def serial(
    settings: Settings,
    database: Database,
    slack: LocalSlack,
    suggestion_sweeper: SuggestionSweeper,  # sends the suggestions /idea queues, as in production
) -> Iterator[Serial]:
    app = Serial(settings, database, slack)
    yield app
    app.close()


@pytest.fixture(params=["elsewhere", *LOOK_ALIKES])
def foreign(request: pytest.FixtureRequest, elsewhere: Elsewhere) -> str:
    """A response URL that is not Slack's: a real listener on another port, or a look-alike."""
    if request.param == "elsewhere":
        return elsewhere.url(f"/commands/T1/2/{SECRET_PART}")
    return str(request.param)


def rows(database: Database) -> dict[str, int]:
    """Ideas and request claims (a refused request makes neither). Queued suggestions come and
    go with the sweeper: none is queued without its idea."""
    with database.session() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Idea, HandledRequest)
        }


def suggestions_sent(database: Database, timeout: float = 10.0) -> None:
    """Await the sweeper: it sends a queued idea's suggestions, then deletes its row."""
    deadline = time.monotonic() + timeout
    while True:
        with database.session() as session:
            if not session.scalar(select(func.count()).select_from(PendingSuggestion)):
                return
        assert time.monotonic() < deadline, "the sweeper left suggestions unsent"
        time.sleep(0.01)


@dataclass
class Attempts:
    """Requests naming ``foreign`` as their response URL, to the real app."""

    serial: Serial
    database: Database
    elsewhere: Elsewhere
    caplog: pytest.LogCaptureFixture
    foreign: str

    @property
    def driver(self) -> SlackDriver:
        return self.serial.driver

    def refused(self, send: Callable[[], BoltResponse]) -> None:
        """``send`` is answered 400; nothing is stored, posted there, or logged but its host."""
        before = rows(self.database)
        assert send().status == 400
        self.serial.settled()  # whatever the request started after its ack has finished
        suggestions_sent(self.database)  # and whatever it queued for the sweeper
        assert self.elsewhere.connections == 0
        assert rows(self.database) == before
        [warning] = [r for r in self.caplog.records if r.name == "bot.response_urls"]
        assert warning.levelno == logging.WARNING
        host = self.foreign.split("://", 1)[1].split("/", 1)[0].rpartition("@")[2]
        assert host in warning.getMessage()
        assert SECRET_PART not in self.caplog.text and "evil@" not in self.caplog.text


@pytest.fixture
def attempts(
    serial: Serial,
    database: Database,
    elsewhere: Elsewhere,
    caplog: pytest.LogCaptureFixture,
    foreign: str,
) -> Attempts:
    return Attempts(serial, database, elsewhere, caplog, foreign)


def test_a_command_with_a_foreign_response_url_stores_and_sends_nothing(
    attempts: Attempts,
) -> None:
    # A similar idea by someone else: an idea stored now would be sent a suggestion there.
    assert attempts.driver.command("/idea", SIMILAR, user="U002").status == 200
    idea = f"{SIMILAR}, open on Sundays"
    attempts.refused(
        lambda: attempts.driver.command("/idea", idea, user="U001", response_url=attempts.foreign)
    )


def test_a_click_with_a_foreign_response_url_changes_and_sends_nothing(
    attempts: Attempts, database: Database
) -> None:
    attempts.driver.command("/idea", SIMILAR, user="U001")
    with database.session() as session:
        idea_id = session.scalars(select(Idea.id)).one()
    withdraw = str(idea_id)
    # Not even the click's claim is made (``rows``), and the idea stays open.
    attempts.refused(
        lambda: attempts.driver.click(ids.WITHDRAW_IDEA, withdraw, response_url=attempts.foreign)
    )
    with database.session() as session:
        assert session.get(Idea, idea_id).status is IdeaStatus.OPEN  # type: ignore[union-attr]


def test_a_form_submission_with_a_foreign_response_url_stores_and_sends_nothing(
    attempts: Attempts,
) -> None:
    view = attempts.driver.command_view("/idea", user="U001")
    entry = {"response_url": attempts.foreign, "block_id": "b", "action_id": "a"}
    values = {ids.IDEA_FIELDS["body"]: SIMILAR}
    attempts.refused(
        lambda: attempts.driver.submit(view, values, response_urls=[{**entry, "channel_id": "C1"}])
    )


def test_a_shortcut_with_a_foreign_response_url_opens_nothing(
    attempts: Attempts, slack: LocalSlack
) -> None:
    attempts.refused(
        lambda: attempts.driver.message_shortcut(
            ids.SAVE_AS_IDEA, SIMILAR, response_url=attempts.foreign
        )
    )
    assert slack.calls_to("views.open") == []
