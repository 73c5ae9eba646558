"""Which language the bot speaks: profile, else Slack locale (asked once), else the default."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select

from bot.app import create_app
from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.slack_client import make_web_client
from handlers import ids
from handlers.slack_users import SlackDirectory
from models import Participant
from models.db import Database
from tests.conftest import SIGNING_SECRET
from tests.round_trips import count, statements_sent
from tests.slack_driver import SlackDriver, response_json, text_of


def stored_locale(database: Database, user_id: str) -> str | None:
    with database.session() as session:
        return session.scalar(
            select(Participant.slack_locale).where(Participant.user_id == user_id)
        )


def test_slack_locale_is_used_and_asked_only_once(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    slack.add_user("UFI", "aino", locale="fi-FI")
    first = text_of(response_json(driver.command("/idea", "Kirjastoon työkaluja", user="UFI")))
    second = text_of(response_json(driver.command("/collider", "help", user="UFI")))
    assert "tallennettu" in first
    assert "Idea Collider" in second and "jaa idea" in second.lower()
    assert stored_locale(database, "UFI") == "fi-FI"
    [lookup] = slack.calls_to("users.info")
    assert lookup["user"] == "UFI" and lookup["include_locale"] in (True, "true", "1")


def test_swedish_locale(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user("USV", "elsa", locale="sv-SE")
    shown = text_of(response_json(driver.command("/idea", "Ett bibliotek för verktyg", user="USV")))
    assert "sparad" in shown.lower()


def test_profile_language_wins_over_slack_locale(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user("UFI", "aino", locale="fi-FI")
    driver.submit(
        driver.command_view("/collider", "profile", user="UFI"),
        {"profile_language": {"option": "sv"}},
        user="UFI",
    )
    shown = text_of(response_json(driver.command("/idea", "Verktyg", user="UFI")))
    assert "sparad" in shown.lower()


def test_unsupported_locale_falls_back_and_is_not_asked_again(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    slack.add_user("UDE", "hans", locale="de-DE")
    assert "Saved your idea" in text_of(response_json(driver.command("/idea", "A", user="UDE")))
    driver.command("/collider", "help", user="UDE")
    assert stored_locale(database, "UDE") == "de-DE"
    assert len(slack.calls_to("users.info")) == 1


def test_failed_lookup_uses_the_configured_default(
    settings: Settings, database: Database, slack: LocalSlack
) -> None:
    swedish = dataclasses.replace(settings, default_language="sv")
    app = create_app(swedish, database, client=make_web_client(swedish, timeout=2))
    driver = SlackDriver(app, slack, SIGNING_SECRET)
    slack.add_user("UFI", "aino", locale="fi-FI")
    slack.fail("users.info", status=500)
    shown = text_of(response_json(driver.command("/idea", "Något", user="UFI")))
    assert "sparad" in shown.lower()
    assert stored_locale(database, "UFI") is None


def test_slow_lookup_does_not_hold_the_ack(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user("UFI", "aino", locale="fi-FI")
    slack.fail("users.info", delay=2.5)
    started = time.monotonic()
    response = driver.command("/collider", "help", user="UFI")
    assert time.monotonic() - started < 2.0
    assert "Idea Collider" in text_of(response_json(response))


def test_failed_lookup_is_retried_later(slack: LocalSlack, settings: Settings) -> None:
    slack.add_user("UFI", "aino", locale="fi-FI")
    client = make_web_client(settings)
    patient = SlackDirectory(client, retry_after=300)
    eager = SlackDirectory(client, retry_after=0)
    slack.fail("users.info", error="internal_error", times=2)
    assert patient.profile("UFI") is None and eager.profile("UFI") is None
    assert patient.profile("UFI") is None  # remembered: Slack is not asked again yet
    assert eager.profile("UFI").locale == "fi-FI"
    assert eager.profile("UFI").locale == "fi-FI"  # a fresh answer is reused
    assert len(slack.calls_to("users.info")) == 3
    eager.profile("UFI", max_age=0)
    assert len(slack.calls_to("users.info")) == 4


def test_admin_flags_are_read(slack: LocalSlack, settings: Settings) -> None:
    slack.add_user("UADM", "boss", is_owner=True)
    slack.add_user("UPLAIN", "pat")
    directory = SlackDirectory(make_web_client(settings))
    assert directory.profile("UADM").is_admin
    assert not directory.profile("UPLAIN").is_admin


def test_a_known_persons_language_costs_one_statement(
    settings: Settings, database: Database, slack: LocalSlack
) -> None:
    """Read for nearly every request: one statement with the two columns, and on PostgreSQL
    without BEGIN and COMMIT around it (one round trip, not three)."""
    # No suggestion sweeper beside it: only the request's own statements are counted.
    app = create_app(settings, database, client=make_web_client(settings, timeout=2))
    driver = SlackDriver(app, slack, SIGNING_SECRET)
    with database.session() as session:
        session.add(Participant(team_id="T0LOCAL", user_id="UFI", slack_locale="fi-FI"))
    # Eight times: psycopg prepares a statement the fifth time a connection runs it, in a round
    # trip of its own that is not the request's (tests/round_trips.py leaves it out).
    for _ in range(8):
        with statements_sent(database) as sent:
            shown = text_of(response_json(driver.command("/collider", "help", user="UFI")))
        assert "jaa idea" in shown.lower()
        assert len(sent) == 1, sent
        assert sent[0].startswith("SELECT id, language, slack_locale FROM participants")


def test_a_click_reads_the_language_with_its_claim(
    settings: Settings, database: Database, slack: LocalSlack
) -> None:
    """A click's claim brings the sender's row along (on PostgreSQL in the same statement):
    the answer is in their profile's language, with no statement of its own for it."""
    app = create_app(settings, database, client=make_web_client(settings, timeout=2))
    driver = SlackDriver(app, slack, SIGNING_SECRET)
    with database.session() as session:
        session.add(Participant(team_id="T0LOCAL", user_id="USV", language="sv"))
    with statements_sent(database) as sent:
        driver.click(ids.IDEAS_PAGE, '{"q": "", "p": 1}', user="USV")
        [page] = driver.click_replies()
    assert "Idéer och behov" in text_of(page)
    alone = count(sent, "SELECT id, language, slack_locale")
    if database.engine.dialect.name == "postgresql":
        assert (alone, count(sent, "WITH claim AS")) == (0, 1), sent
    else:
        assert alone == 1, sent  # in the claim's transaction
