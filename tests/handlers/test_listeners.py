"""Listeners are named functions, and work after the ack never fails silently."""

from __future__ import annotations

import logging
import traceback

import pytest

from bot.app import create_app
from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.slack_client import make_web_client
from i18n import t
from models.db import Database
from tests.conftest import SIGNING_SECRET
from tests.slack_driver import SlackDriver, text_of


def test_a_refused_delivery_after_the_ack_is_logged_with_context_and_told_in_the_persons_language(
    driver: SlackDriver, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_user("U001", "aino", locale="fi-FI")
    driver.command("/idea", "Kaupunkipyörät talvikäyttöön")  # a row, so there is data to send
    # Slack refuses the DM the file would go to: the delivery's outcome says so.
    slack.fail("conversations.open", error="account_inactive")
    with caplog.at_level(logging.INFO):
        driver.command("/collider", "my-data")
        replies = slack.wait_for("response_url")
    assert t("privacy.my_data_failed", "fi") in text_of(replies[-1])
    [failure] = [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert "my-data export for T0LOCAL/U001" in failure.getMessage()
    assert "permanent account_inactive" in failure.getMessage()


def test_failure_after_the_ack_on_a_broken_database_is_told_in_the_slack_locale(
    tmp_path, settings: Settings, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # A database that was never migrated: every query fails, as when the database is down.
    database = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = create_app(settings, database, client=make_web_client(settings, timeout=2))
    broken = SlackDriver(app, slack, SIGNING_SECRET)
    slack.add_user("U001", "astrid", locale="sv-SE")
    broken.command("/collider", "my-data")
    [reply] = slack.wait_for("response_url")
    assert t("privacy.my_data_failed", "sv") in text_of(reply)
    assert any("my-data export for T0LOCAL/U001 failed" in r.getMessage() for r in caplog.records)


def test_a_listeners_traceback_names_the_listener(
    tmp_path, settings: Settings, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = create_app(settings, database, client=make_web_client(settings, timeout=2))
    SlackDriver(app, slack, SIGNING_SECRET).command("/ideas", "bicycles")
    [failure] = [r for r in caplog.records if r.exc_info and "failed to handle" in r.getMessage()]
    frames = traceback.extract_tb(failure.exc_info[2])
    names = [frame.name for frame in frames]
    assert "list_ideas" in names
    assert not any("<locals>" in frame.name or frame.name == "register" for frame in frames)
