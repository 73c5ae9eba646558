"""Edge cases of a real Slack: a channel name already taken, a channel the bot cannot read, and
a facilitator whose language only Slack knows."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers import ids
from models import RoundStatus, ThinkTank
from models.db import Database
from services.round_runner import resume_unfinished
from tests.handlers.test_rounds import (
    FACILITATOR,
    button,
    form_values,
    open_match_form,
    request_preview,
    wait_for_round,
    wait_for_text,
)
from tests.slack_driver import SlackDriver, text_of


def ten_people(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for number in range(10):
        user = f"U2{number:02d}"
        slack.add_user(user, user.lower())
        driver.command("/idea", f"Kaupunkiviljely ja yhteisöpuutarha numero {number}", user=user)


def round_id_of(preview: dict) -> int:
    return int(json.loads(button(preview, ids.ROUND_CONFIRM)["value"])["r"])


def test_taken_channel_name_gets_a_new_channel_and_the_old_one_is_left_alone(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    ten_people(driver, slack)
    preview = request_preview(driver, slack, min_size=10, max_size=12, diversity=0)
    # Someone else's channel (an earlier install) already has the name this round would use.
    slack.channel_names[f"collider-r{round_id_of(preview)}-t1"] = "COLDCHANNEL"
    slack.members["COLDCHANNEL"] = ["UOTHER"]
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    wait_for_round(database, RoundStatus.COMPLETED)
    names = [call["name"] for call in slack.calls_to("conversations.create")]
    assert names == [
        f"collider-r{round_id_of(preview)}-t1",
        f"collider-r{round_id_of(preview)}-t1-2",
    ]
    [invite] = slack.calls_to("conversations.invite")
    assert invite["channel"] != "COLDCHANNEL"
    assert slack.members["COLDCHANNEL"] == ["UOTHER"]
    assert "COLDCHANNEL" not in slack.history
    assert slack.history[invite["channel"]], "the intro went to the new channel"


def test_resume_after_a_crash_invites_into_the_channel_the_round_created(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    ten_people(driver, slack)
    preview = request_preview(driver, slack, min_size=10, max_size=12, diversity=0)
    # Slack breaks right after the channel is created: the invite fails, the round stops.
    slack.fail("conversations.invite", error="fatal_error")
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    slack.wait_for("conversations.invite")
    [created] = slack.wait_for("conversations.create")
    channel = slack.channel_names[created["name"]]
    wait_for_recorded(database, channel)
    gateway = SlackGateway(make_web_client(settings, timeout=2), SlackPacer(speedup=1000))
    outcomes = resume_unfinished(outbound(settings, database, gateway))
    assert [outcome.status for outcome in outcomes] == ["completed"]
    assert len(slack.calls_to("conversations.create")) == 1
    assert [call["channel"] for call in slack.calls_to("conversations.invite")] == [channel] * 2
    assert slack.calls_to("conversations.list") == []
    assert len(slack.members[channel]) == 10


def wait_for_recorded(database: Database, channel: str, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.session() as session:
            found = session.scalars(
                select(ThinkTank).where(ThinkTank.conversation_id == channel)
            ).first()
            if found is not None and found.round.runner is None:
                return
        time.sleep(0.02)
    raise AssertionError("the created channel was not recorded")


def test_match_form_offers_channels_only(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.add_user(FACILITATOR, "fasi")
    view = open_match_form(driver)
    [block] = [b for b in view["blocks"] if b["block_id"] == ids.MATCH_FIELDS["channel"]]
    assert block["element"]["filter"] == {
        "include": ["public", "private"],
        "exclude_bot_users": True,
    }


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("not_in_channel", "Kutsu minut sinne"),
        ("channel_not_found", "Valitse toinen kanava"),
        ("missing_scope", "julkinen tai yksityinen kanava"),
    ],
)
def test_unreadable_channel_is_explained_in_the_facilitators_language(
    driver: SlackDriver,
    slack: LocalSlack,
    caplog: pytest.LogCaptureFixture,
    code: str,
    words: str,
) -> None:
    # No profile: the Finnish comes from the facilitator's Slack locale.
    slack.add_user(FACILITATOR, "fasi", locale="fi-FI")
    slack.fail("conversations.members", error=code)
    values = {**form_values(), ids.MATCH_FIELDS["channel"]: "C0SECRET"}
    with caplog.at_level(logging.WARNING):
        driver.submit(open_match_form(driver), values, user=FACILITATOR)
        said = wait_for_text(slack, "C0SECRET")
    assert words in text_of(said)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


def test_preview_and_summary_come_in_the_slack_locale_without_a_profile(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    ten_people(driver, slack)
    slack.users[FACILITATOR].locale = "fi-FI"
    preview = request_preview(driver, slack, min_size=10, max_size=12, diversity=0)
    assert "Ajatushautomoiden esikatselu" in text_of(preview)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    wait_for_round(database, RoundStatus.COMPLETED)
    wait_for_text(slack, f"Kierros {round_id_of(preview)} on lähetetty")
