"""The process's SQLite lock (``models.db._OneAtATime``) and the other locks of the process: no
order of taking them can deadlock, and no thread waits for Slack's pacing while it holds the
database. Each test would hang if the rule were broken, so each waits with a timeout."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.slack_gateway import SlackGateway
from models import Idea, IdeaKind, IdeaStatus, Participant
from models.db import Database, holding_the_database
from services import similar_ideas
from tests.conftest import BOT_TOKEN

TIMEOUT = 30.0


def run_together(*loops: Callable[[], None]) -> None:
    """Start every loop at once; fail (instead of hanging) if any is still running after
    ``TIMEOUT`` seconds, and re-raise what any of them raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(loops))

    def run(loop: Callable[[], None]) -> None:
        start.wait()
        try:
            loop()
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(loop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "deadlocked (or far too slow)"
    if errors:
        raise errors[0]


def seed(database: Database, count: int = 30) -> list[int]:
    with database.session() as session:
        author = Participant(team_id="T1", user_id="ULOCK")
        session.add(author)
        ideas = [
            Idea(
                author=author,
                kind=IdeaKind.IDEA,
                title=f"Repair cafe {n}",
                body=f"Bicycles and toasters repaired on evening {n}",
                status=IdeaStatus.OPEN,
            )
            for n in range(count)
        ]
        session.add_all(ideas)
        session.flush()
        return [idea.id for idea in ideas]


def test_the_sweeper_and_requests_take_the_database_and_the_index_cache_in_one_order(
    database: Database,
) -> None:
    """A request asks the similar-idea cache inside its session (database, then the cache);
    the sweeper refits the index for the whole process. If the sweeper took the cache's lock
    before the database, each would wait for the other for ever (seen on main, as a hung
    test)."""
    ids = seed(database)

    def sweeper() -> None:
        for _ in range(40):
            similar_ideas._cache.clear()  # noqa: SLF001 - every round refits
            similar_ideas._cache.current(database, "T1")  # noqa: SLF001

    def request() -> None:
        for number in range(40):
            with database.session() as session:
                query = similar_ideas.similarity_query(session, ids[number % len(ids)])
                assert query is not None

    run_together(sweeper, request, request)


def test_the_index_is_fitted_outside_the_database(database: Database) -> None:
    """Fitting the index takes long on a large pool: the sweeper does it with the database
    free, so acks meanwhile do not wait for it."""
    seed(database)
    fitted_holding: list[bool] = []
    original = similar_ideas.SimilarityIndex.__init__

    def watched(self: similar_ideas.SimilarityIndex, *args: object, **kwargs: object) -> None:
        fitted_holding.append(holding_the_database())
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    similar_ideas._cache.clear()  # noqa: SLF001
    similar_ideas.SimilarityIndex.__init__ = watched  # type: ignore[method-assign]
    try:
        similar_ideas._cache.current(database, "T1")  # noqa: SLF001
    finally:
        similar_ideas.SimilarityIndex.__init__ = original  # type: ignore[method-assign]
    assert fitted_holding == [False]


def test_a_paced_call_waits_outside_every_lock_the_database_needs(database: Database) -> None:
    """A pacer whose bucket is empty sleeps until its next token: meanwhile other threads take
    the same pacer's lock (another channel) and the database, without waiting for it."""
    pacer = SlackPacer(per_minute={"users.info": 6})  # one token at once, the next in 10 s
    pacer.before("users.info")
    sleeper = threading.Thread(target=pacer.before, args=("users.info",), daemon=True)
    sleeper.start()
    time.sleep(0.05)  # let it reach its sleep; a condition cannot tell "asleep" from outside

    def others() -> None:
        for number in range(20):
            pacer.before("chat.postMessage", f"C{number}")
            with database.session() as session:
                session.scalars(select(Participant.id)).all()

    started = time.monotonic()
    run_together(others)
    assert time.monotonic() - started < 5
    assert sleeper.is_alive()  # still waiting for its token, holding nothing


def test_holding_the_database_is_known_to_the_thread_only(database: Database) -> None:
    """What the gateway asks before a Slack call (SQLite only: elsewhere nothing is held)."""
    seen_elsewhere: list[bool] = []
    sqlite = database.engine.dialect.name == "sqlite"
    assert not holding_the_database()
    with database.session():
        assert holding_the_database() is sqlite
        other = threading.Thread(target=lambda: seen_elsewhere.append(holding_the_database()))
        other.start()
        other.join(TIMEOUT)
        with database.session():
            assert holding_the_database() is sqlite
        assert holding_the_database() is sqlite
    assert not holding_the_database()
    assert seen_elsewhere == [False]


def test_a_slack_call_inside_a_session_is_reported(
    database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """No code does it (the whole suite runs without the warning); a change that did would
    say so in the log on SQLite, where the session holds the process's database."""
    gateway = SlackGateway(WebClient(token=BOT_TOKEN, base_url=slack.api_url))
    with caplog.at_level(logging.WARNING, logger="bot.slack_gateway"):
        gateway.dm_channel("U1")
        assert not caplog.records
        with database.session():
            gateway.dm_channel("U2")
    held = [r for r in caplog.records if "holding the database lock" in r.getMessage()]
    assert len(held) == (1 if database.engine.dialect.name == "sqlite" else 0)
