"""Every answer to a response URL goes over the process's kept-alive connections
(``bot/responding.py``, ``bot/webhooks.py``): listeners' ``respond`` takes Bolt's arguments,
posts what Bolt's own ``Respond`` posts, and answers as it does; clicks answered in a row share
one connection; and a connection Slack closed is replaced without a lost or doubled answer."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.local.slack import LocalSlack
from bot.responding import KeptAliveRespond
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from handlers import ids
from i18n import t
from models.db import Database
from tests.conftest import SIGNING_SECRET, local_app
from tests.handlers.test_idea_capture import stored_ideas
from tests.slack_driver import SlackDriver, response_json, text_of

EVERY_ARGUMENT: dict[str, Any] = {
    "text": "Page 2",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Page 2"}}],
    "attachments": [{"text": "an attachment", "fallback": "an attachment"}],
    "response_type": "ephemeral",
    "replace_original": True,
    "delete_original": False,
    "unfurl_links": False,
    "unfurl_media": False,
    "thread_ts": "1700000000.000100",
    "metadata": {"event_type": "collider_marker", "event_payload": {"marker": "m"}},
}


class Serial:
    """The app with one listener thread and one worker thread: ``settled()`` returns once
    everything the requests so far started after their ack has finished (their answers read
    back, their connections given back)."""

    def __init__(self, settings: Settings, database: Database, slack: LocalSlack) -> None:
        self.listeners = ThreadPoolExecutor(1, thread_name_prefix="test-serial-listener")
        self.workers = ThreadPoolExecutor(1, thread_name_prefix="test-serial-work")
        app = local_app(settings, database, self.listeners, self.workers)
        self.driver = SlackDriver(app, slack, SIGNING_SECRET)

    def settled(self) -> None:
        self.listeners.submit(lambda: None).result(timeout=10)
        self.workers.submit(lambda: None).result(timeout=10)
        self.listeners.submit(lambda: None).result(timeout=10)

    def close(self) -> None:
        self.listeners.shutdown(wait=True)
        self.workers.shutdown(wait=True)


@pytest.fixture
def serial(settings: Settings, database: Database, slack: LocalSlack) -> Iterator[Serial]:
    app = Serial(settings, database, slack)
    yield app
    app.close()


def _gateway(slack: LocalSlack) -> SlackGateway:
    return SlackGateway(WebClient(token="xoxb-test", base_url=slack.api_url, timeout=5))


def _posts_to(slack: LocalSlack, key: str) -> list[dict[str, Any]]:
    return [
        {name: value for name, value in call.items() if name != "_key"}
        for call in slack.calls_to("response_url")
        if call["_key"] == key
    ]


def _click_replies(slack: LocalSlack) -> list[tuple[dict[str, Any], int]]:
    """The answers to clicks, each with the connection that carried it."""
    calls = slack.calls_to("response_url")
    return [
        (call, connection)
        for call, connection in zip(calls, slack.connections_of("response_url"), strict=True)
        if str(call["_key"]).startswith("act-")
    ]


def test_respond_posts_what_bolts_respond_posts_and_answers_alike(slack: LocalSlack) -> None:
    ours = KeptAliveRespond(response_url=slack.response_url("ours"), gateway=_gateway(slack))
    bolts = Respond(response_url=slack.response_url("bolts"))
    whole = {"text": "whole", "replace_original": False}
    answers = [ours(**EVERY_ARGUMENT), bolts(**EVERY_ARGUMENT)]
    # Bolt's other form: the whole message as one dict.
    answers += [ours(whole), bolts(whole)]
    assert _posts_to(slack, "ours") == _posts_to(slack, "bolts") == [EVERY_ARGUMENT, whole]
    assert [(a.status_code, a.body) for a in answers] == [(200, "ok")] * 4
    assert answers[0].api_url == slack.response_url("ours")
    assert answers[0].headers["Content-Type"] == answers[1].headers["Content-Type"]


def test_respond_answers_a_refused_post_with_its_status_as_bolts_does(slack: LocalSlack) -> None:
    ours = KeptAliveRespond(response_url=slack.response_url("ours"), gateway=_gateway(slack))
    slack.fail("response_url", status=404, error="no_active_hooks", times=2)
    bolts_answer = Respond(response_url=slack.response_url("bolts"))(text="late")
    answer = ours(text="late")
    assert (answer.status_code, answer.body) == (bolts_answer.status_code, bolts_answer.body)
    assert answer.status_code == 404


def test_respond_without_a_response_url_refuses_as_bolts_does(slack: LocalSlack) -> None:
    ours = KeptAliveRespond(response_url=None, gateway=_gateway(slack))
    with pytest.raises(ValueError, match="no response_url"):
        ours(text="nowhere")
    with pytest.raises(ValueError, match="no response_url"):
        Respond(response_url=None)(text="nowhere")


def test_clicks_answered_in_a_row_share_one_kept_alive_connection(
    serial: Serial, slack: LocalSlack, database: Database
) -> None:
    driver = serial.driver
    for number in range(7):
        driver.command("/idea", f"Idea number {number}", user=f"U00{number}")
    assert "Page 1 of 2" in text_of(response_json(driver.command("/ideas")))
    [idea, *_] = stored_ideas(database)
    clicks: list[tuple[str, str, str]] = [
        (ids.IDEAS_PAGE, '{"q": "", "p": 2}', "U001"),  # a page, redrawn
        (ids.IDEAS_PAGE, '{"q": "", "p": 1}', "U001"),
        (ids.WITHDRAW_IDEA, str(idea.id), "U999"),  # refused: not theirs
        (ids.REPORT_FILE, "{}", "U001"),  # refused after the ack: facilitators only
        (ids.WITHDRAW_IDEA, str(idea.id), "U000"),  # withdrawn by its author
    ]
    for action_id, value, user in clicks:
        driver.click(action_id, value, user=user)
        serial.settled()
    replies = _click_replies(slack)
    assert len(replies) == len(clicks)
    texts = [text_of(reply) for reply, _ in replies]
    assert "Page 2 of 2" in texts[0] and "Page 1 of 2" in texts[1]
    assert "Only the author" in texts[2]
    assert t("roles.facilitators_only", "en") in texts[3]
    assert "Withdrawn" in texts[4]
    assert len({connection for _, connection in replies}) == 1


def test_a_connection_slack_closed_is_replaced_without_a_lost_or_doubled_answer(
    serial: Serial, slack: LocalSlack
) -> None:
    driver = serial.driver
    for number in range(7):
        driver.command("/idea", f"Idea number {number}", user=f"U00{number}")
    driver.click(ids.IDEAS_PAGE, '{"q": "", "p": 2}')
    serial.settled()
    # Slack closes the connection after its next answer, and does not say so.
    slack.hang_up_after("response_url")
    driver.click(ids.IDEAS_PAGE, '{"q": "", "p": 1}')
    serial.settled()
    driver.click(ids.IDEAS_PAGE, '{"q": "", "p": 2}')
    serial.settled()
    driver.click(ids.IDEAS_PAGE, '{"q": "", "p": 1}')
    serial.settled()
    replies = _click_replies(slack)
    # One answer per click, each to its own click's response URL.
    assert len({reply["_key"] for reply, _ in replies}) == len(replies) == 4
    first, closed, fresh, kept = (connection for _, connection in replies)
    assert first == closed != fresh == kept
