"""Fixtures: a real database (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the
local Slack server, and the real Bolt app driven by signed requests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor

import pytest
from slack_bolt import App

from bot.app import create_app
from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.suggestions import SuggestionSweeper, start_suggestion_sweeper
from models import Base
from models.db import Database
from services import answer_keys
from services.programme_home import ProgrammeHome
from tests.clock import ManualClock
from tests.databases import scratch_postgres_database
from tests.slack_driver import SlackDriver

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'collider.sqlite3'}"
    else:
        # A database of its own for each test run, so parallel runs never share tables.
        with scratch_postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
            yield url


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def database(migrated_database: Database) -> Iterator[Database]:
    yield migrated_database
    with migrated_database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    # app_secrets was emptied too, which the app never does: its kept copy goes as well.
    answer_keys.forget_kept_answer_keys()


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    with LocalSlack(token=BOT_TOKEN) as server:
        yield server
    if server.violations:
        # Real Slack would have refused these payloads, even if the app carried on regardless.
        pytest.fail("Block Kit limits broken:\n" + "\n".join(map(str, server.violations)))


@pytest.fixture
def settings(slack: LocalSlack, database: Database) -> Settings:
    return Settings(
        database_url=database.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        facilitators=frozenset({"UFACIL"}),
    )


@pytest.fixture
def suggestion_sweeper(
    settings: Settings, database: Database, slack: LocalSlack
) -> Iterator[SuggestionSweeper]:
    # Sweeps often, so that tests await suggestions for a moment only.
    client = make_web_client(settings, timeout=2)
    sweeper = start_suggestion_sweeper(settings, database, client, interval=0.02)
    yield sweeper
    sweeper.stop()


@pytest.fixture
def home_clock() -> ManualClock:
    """The clock of App Home's programme figures in the ``driver``'s app: it stands still
    (figures are kept for a minute) until a test advances it."""
    return ManualClock()


def local_app(
    settings: Settings,
    database: Database,
    listeners: Executor,
    workers: Executor,
    *,
    home_clock: ManualClock | None = None,
) -> App:
    """The real app against the local Slack, with the tests' own pools."""
    return create_app(
        settings,
        database,
        client=make_web_client(settings, timeout=2),
        # Pacing is tested on its own; here it would only slow the suite down.
        pacer=SlackPacer(speedup=1000),
        listener_executor=listeners,
        worker_executor=workers,
        programme_home=ProgrammeHome(clock=home_clock) if home_clock else None,
    )


@pytest.fixture
def driver(
    settings: Settings,
    database: Database,
    slack: LocalSlack,
    suggestion_sweeper: SuggestionSweeper,
    home_clock: ManualClock,
) -> Iterator[SlackDriver]:
    listeners = ThreadPoolExecutor(8, thread_name_prefix="test-listener")
    workers = ThreadPoolExecutor(4, thread_name_prefix="test-work")
    app = local_app(settings, database, listeners, workers, home_clock=home_clock)
    yield SlackDriver(app, slack, SIGNING_SECRET)
    # Work a test started after the ack ends with the test, not in the next one.
    listeners.shutdown(wait=True)
    workers.shutdown(wait=True)
