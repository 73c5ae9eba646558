"""When something breaks inside a listener, the person hears about it and the log has context."""

from __future__ import annotations

import pytest

from bot.app import create_app
from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.slack_client import make_web_client
from models.db import Database
from tests.conftest import SIGNING_SECRET
from tests.slack_driver import SlackDriver, response_json, text_of


@pytest.fixture
def broken_driver(tmp_path, settings: Settings, slack: LocalSlack) -> SlackDriver:
    # A database that was never migrated: every query fails, as when the database is down.
    database = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    app = create_app(settings, database, client=make_web_client(settings, timeout=2))
    return SlackDriver(app, slack, SIGNING_SECRET)


def test_failing_command_answers_with_an_apology(
    broken_driver: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    response = broken_driver.command("/idea", "An idea that cannot be stored")
    assert response.status == 200
    assert "something went wrong" in text_of(response_json(response))
    assert "failed to handle command /idea from U001" in caplog.text
    assert "xoxb-" not in caplog.text


def test_failing_modal_submission_tells_the_person_in_the_modal(
    broken_driver: SlackDriver, slack: LocalSlack
) -> None:
    body = {
        "type": "input",
        "block_id": "idea_body",
        "element": {"type": "plain_text_input", "action_id": "value"},
    }
    view = {
        "type": "modal",
        "callback_id": "idea_modal",
        "blocks": [body],
        "private_metadata": "{}",
    }
    # A valid idea: checking the form needs no database, storing it does.
    answer = response_json(broken_driver.submit(view, {"idea_body": "An idea to store"}))
    assert answer["response_action"] == "update"
    assert "something went wrong" in text_of(answer["view"])


def test_unknown_action_is_acknowledged_and_explained(
    driver: SlackDriver, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    assert driver.click("no_such_action", "1").status == 200
    [reply] = slack.wait_for("response_url")
    assert "could not be understood" in text_of(reply)
    assert "unknown action" in caplog.text


def test_unknown_form_is_answered_in_the_modal(driver: SlackDriver) -> None:
    view = {"type": "modal", "callback_id": "forged_form", "blocks": []}
    answer = response_json(driver.submit(view, {}))
    assert answer["response_action"] == "update"
    assert "could not be understood" in text_of(answer["view"])
