"""Similar ideas on submission: suggested after the ack, and only the author's choice merges."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from bot.settings import Settings
from bot.suggestions import SuggestionSweeper, start_suggestion_sweeper
from handlers import ids
from models import Idea, IdeaCoauthor, IdeaLink, IdeaStatus, PendingSuggestion
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of

LIBRARY = "Tool library for residents: lend drills, ladders and saws from the public library"


def suggestion(slack: LocalSlack) -> dict:
    return slack.wait_for("response_url")[-1]


def button_value(message: dict, action_id: str) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element["value"]
    raise AssertionError(action_id)


def ideas(database: Database) -> dict[str, Idea]:
    with database.session() as session:
        return {idea.body: idea for idea in session.scalars(select(Idea))}


def swept(database: Database, timeout: float = 5.0) -> None:
    """Until the sweeper has handled every queued idea (it deletes a row once sent)."""
    deadline = time.monotonic() + timeout
    while True:
        with database.session() as session:
            if not session.scalars(select(PendingSuggestion.idea_id)).first():
                return
        assert time.monotonic() < deadline, "suggestions still pending"
        time.sleep(0.01)


def share_two(driver: SlackDriver, slack: LocalSlack, database: Database) -> dict:
    driver.command("/idea", LIBRARY, user="U001")
    driver.command("/idea", "Completely different: a choir for seniors on Sundays", user="U003")
    swept(database)
    assert slack.calls_to("response_url") == []  # nothing similar to the first ones
    driver.command("/idea", "A library where residents can borrow drills and ladders", user="U002")
    return suggestion(slack)


def test_similar_idea_by_someone_else_is_suggested_after_the_ack(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    shown = share_two(driver, slack, database)
    text = text_of(shown)
    assert "Tool library for residents" in text and "<@U001>" in text
    assert "choir" not in text
    assert shown["replace_original"] is False
    value = json.loads(button_value(shown, ids.SIMILAR_JOIN))
    assert set(value) == {"own", "other"}


def test_join_as_coauthor_withdraws_own_idea_and_tells_the_author(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    shown = share_two(driver, slack, database)
    driver.click(ids.SIMILAR_JOIN, button_value(shown, ids.SIMILAR_JOIN), user="U002")
    reply = slack.wait_for("response_url", count=2)[-1]
    assert "co-author" in text_of(reply) and reply["replace_original"] is True
    stored = ideas(database)
    own = stored["A library where residents can borrow drills and ladders"]
    assert own.status is IdeaStatus.WITHDRAWN
    with database.session() as session:
        [coauthor] = session.scalars(select(IdeaCoauthor)).all()
        assert coauthor.idea_id == stored[LIBRARY].id and coauthor.joined_from_id == own.id
    [told] = slack.wait_for("chat.postMessage")
    assert told["channel"] == slack.dm_channel("U001") and "<@U002>" in text_of(told)
    # Sent through the one delivery module, once for the pair.
    pair = f"coauthor:{own.id}:{stored[LIBRARY].id}"
    assert told["metadata"]["event_payload"]["marker"] == pair
    listing = text_of(response_json(driver.command("/ideas", "tool library", user="U003")))
    assert "<@U001>, <@U002>" in listing  # the co-author is named beside the author


def test_a_notice_that_times_out_leaves_the_joiner_with_their_answer(
    driver: SlackDriver, database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    shown = share_two(driver, slack, database)
    slack.fail("chat.postMessage", delay=2.5)  # past the app's client timeout (2 s)
    driver.click(ids.SIMILAR_JOIN, button_value(shown, ids.SIMILAR_JOIN), user="U002")
    assert "co-author" in text_of(slack.wait_for("response_url", count=2)[-1])
    deadline = time.monotonic() + 10
    while not any(line in caplog.text for line in ("could not tell", "failed after the ack")):
        assert time.monotonic() < deadline, "the notice neither sent nor reported"
        time.sleep(0.05)
    # Maybe posted (Slack may have it): in doubt, logged; the joiner hears nothing went wrong.
    assert "could not tell the author: in_doubt" in caplog.text
    assert "failed after the ack" not in caplog.text


def test_link_as_related_and_keep_separate_merge_nothing(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    shown = share_two(driver, slack, database)
    driver.click(ids.SIMILAR_LINK, button_value(shown, ids.SIMILAR_LINK), user="U002")
    assert "linked" in text_of(slack.wait_for("response_url", count=2)[-1])
    driver.click(ids.SIMILAR_SEPARATE, button_value(shown, ids.SIMILAR_SEPARATE), user="U002")
    assert "separate" in text_of(slack.wait_for("response_url", count=3)[-1])
    with database.session() as session:
        assert len(session.scalars(select(IdeaLink)).all()) == 1
        assert session.scalars(select(IdeaCoauthor)).all() == []
    assert all(idea.status is IdeaStatus.OPEN for idea in ideas(database).values())


def test_someone_else_cannot_use_the_authors_choice(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    shown = share_two(driver, slack, database)
    driver.click(ids.SIMILAR_JOIN, button_value(shown, ids.SIMILAR_JOIN), user="U003")
    assert "Only the author" in text_of(slack.wait_for("response_url", count=2)[-1])
    with database.session() as session:
        assert session.scalars(select(IdeaCoauthor)).all() == []
    assert all(idea.status is IdeaStatus.OPEN for idea in ideas(database).values())


def test_coauthors_enter_matchmaking_with_the_idea_they_joined(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    from bot.local.slack import TEAM_ID
    from services import matchmaking

    shown = share_two(driver, slack, database)
    driver.click(ids.SIMILAR_JOIN, button_value(shown, ids.SIMILAR_JOIN), user="U002")
    driver.click_replies()
    with database.session() as session:
        pool = matchmaking.build_pool(session, TEAM_ID, matchmaking.RoundSettings())
        by_user = {entry.participant.user_id: [idea.body for idea in entry.ideas] for entry in pool}
    assert by_user["U002"] == [LIBRARY]


def flood(driver: SlackDriver, count: int) -> list[str]:
    """``count`` similar ideas by as many people; the response URL of each."""
    urls = []
    for number in range(count):
        url = driver.slack.response_url(f"flood-{number}")
        body = driver.command_body(
            "/idea", f"{LIBRARY}, branch {number}", user=f"U{number:03d}", response_url=url
        )
        driver.send(body)
        urls.append(url.rsplit("/", 1)[1])
    return urls


def test_in_a_flood_every_idea_gets_its_suggestions_once(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    # One like them is there before the flood: whichever batch an idea falls into, and however
    # the sweeper's timing cuts the flood, each has something similar to be offered.
    driver.command("/idea", LIBRARY, user="U999")
    swept(database)
    urls = flood(driver, 25)
    assert len(ideas(database)) == 26
    swept(database)
    offered = Counter(call["_key"] for call in slack.calls_to("response_url"))
    assert offered == Counter(urls)  # each idea's author heard once, nobody twice
    for call in slack.calls_to("response_url"):
        assert "<@" in text_of(call) and call["replace_original"] is False


def test_ideas_queued_while_no_sweeper_runs_are_handled_in_one_batch(
    driver: SlackDriver,
    database: Database,
    slack: LocalSlack,
    settings: Settings,
    suggestion_sweeper: SuggestionSweeper,
) -> None:
    # As while the elected sweeper is being replaced: the queue waits in the database.
    suggestion_sweeper.stop()
    urls = flood(driver, 30)
    assert slack.calls_to("response_url") == []
    sweeper = start_suggestion_sweeper(settings, database, interval=0.02)
    try:
        swept(database)
    finally:
        sweeper.stop()
    assert sweeper.batches == 1  # one query, one transform, one product for all 30
    assert sorted(call["_key"] for call in slack.calls_to("response_url")) == sorted(urls)
