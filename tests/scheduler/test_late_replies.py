"""``services.delivery.reply``: a late answer to someone's own request (similar ideas after
``/idea``) goes through the one delivery module, to the response URL, else ephemerally where
they were, else to their DM; a failure comes back typed, never raised."""

from __future__ import annotations

from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from services.delivery import ReplyTo, Status, reply

MESSAGE = {"text": "Similar ideas", "blocks": []}


def gateway(settings: Settings) -> SlackGateway:
    return SlackGateway(make_web_client(settings, timeout=2))


def test_the_response_url_is_used_when_there_is_one(settings: Settings, slack: LocalSlack) -> None:
    to = ReplyTo("U001", response_url=slack.response_url("late"), channel="C001")
    assert reply(gateway(settings), MESSAGE, to).status is Status.SENT
    [answer] = slack.calls_to("response_url")
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert slack.calls_to("chat.postEphemeral") == []


def test_a_refused_ephemeral_falls_back_to_the_dm(settings: Settings, slack: LocalSlack) -> None:
    slack.fail("chat.postEphemeral", error="channel_not_found")
    outcome = reply(gateway(settings), MESSAGE, ReplyTo("U001", channel="C404"))
    assert outcome.status is Status.SENT
    assert [call["channel"] for call in slack.calls_to("chat.postMessage")] == [outcome.channel]


def test_a_failure_is_typed_not_raised(settings: Settings, slack: LocalSlack) -> None:
    slack.fail("conversations.open", error="user_not_found")
    outcome = reply(gateway(settings), MESSAGE, ReplyTo("UGONE"))
    assert outcome.status is Status.PERMANENT and outcome.code == "user_not_found"
