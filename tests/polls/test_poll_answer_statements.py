"""What one poll answer costs the database: it is among the commonest clicks (a poll goes to
every member of every think tank), so its statements are counted here, where they leave the
driver (``tests/round_trips.py``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.slack_client import make_web_client
from models import AppSecret, PollAnswer
from models.db import Database
from services.answer_keys import answer_keys
from tests.conftest import SIGNING_SECRET
from tests.polls.world import after, answer_button, dm_of, make_round, poll_messages, sweep
from tests.round_trips import count, statements_sent
from tests.slack_driver import SlackDriver

PEOPLE = ["U301", "U302", "U303"]


def answer(driver: SlackDriver, slack: LocalSlack, user: str, question: str, value: str) -> None:
    """Click an answer button in ``user``'s poll DM and wait for the message to be redrawn."""
    message = next(m for m in poll_messages(slack) if m["channel"] == dm_of(slack, user))
    button = answer_button(message, question, value)
    before = len(slack.calls_to("response_url"))
    driver.click(
        button["action_id"], button["value"], user=user, message=message, channel=message["channel"]
    )
    slack.wait_for("response_url", before + 1)


def test_a_poll_answer_reads_each_thing_once(
    settings: Settings, database: Database, slack: LocalSlack
) -> None:
    """Per click: the claim and the sender's language (one statement on PostgreSQL), then in
    one transaction the poll with its delivery (one SELECT), the answer (one upsert, new or
    changed), the answers so far, and the claim settled. The stored answer key is read once
    per process, not per answer."""
    make_round(database, slack, [PEOPLE])
    assert sweep(database, settings, after(16)).sent == len(PEOPLE)
    # No suggestion sweeper beside it: only the clicks' own statements are counted.
    app = create_app(settings, database, client=make_web_client(settings, timeout=2))
    driver = SlackDriver(app, slack, SIGNING_SECRET)
    # Their first requests: each one's Slack locale is asked for and kept (counted elsewhere).
    answer(driver, slack, "U301", "useful", "2")
    answer(driver, slack, "U302", "useful", "1")
    with statements_sent(database) as sent:
        answer(driver, slack, "U302", "across", "3")  # a new answer
        answer(driver, slack, "U301", "useful", "4")  # a changed one
    assert not [statement for statement in sent if "app_secrets" in statement], sent
    clicks = 2
    if database.engine.dialect.name == "postgresql":
        # WITH claim ... (the language with it), BEGIN, SELECT, INSERT, SELECT, UPDATE, COMMIT
        assert len(sent) == 7 * clicks, sent
        assert count(sent, "WITH claim AS") == clicks, sent
    else:
        assert count(sent, "SELECT") == 3 * clicks, sent  # language, poll, answers
    writes = count(sent, "INSERT INTO poll_answers") + count(sent, "UPDATE poll_answers")
    assert writes == clicks, sent
    with database.session() as session:
        stored = session.scalars(select(PollAnswer.value).order_by(PollAnswer.value)).all()
    assert stored == ["1", "3", "4"]


def test_the_stored_answer_key_is_kept_once_committed_only(database: Database) -> None:
    """Kept per process once known to be stored: a key made in a transaction that rolled back
    was never stored, so it must not be kept (another process would make a different one)."""
    with pytest.raises(RuntimeError), database.session() as session:
        answer_keys(session, Settings())
        raise RuntimeError("the answer was refused")
    with database.session() as session:
        made = answer_keys(session, Settings()).current
    with database.session() as session:
        stored = session.scalar(select(AppSecret.value))
    assert stored is not None and made == stored.encode()
    with statements_sent(database) as sent, database.session() as session:
        assert answer_keys(session, Settings()).current == made
    assert not [statement for statement in sent if "app_secrets" in statement], sent
