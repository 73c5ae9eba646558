"""Issue 11, item 6: a link in a form's ``private_metadata`` is shown to everyone only if the bot
signed it for the person submitting. Slack returns ``private_metadata`` as the client sends it,
so a hostile client (even one holding the signing secret) could put any link there."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of

EVIL = "https://evil.example/login"


def shortcut_form(driver: SlackDriver, slack: LocalSlack, user: str = "U001") -> dict:
    opened = len(slack.calls_to("views.open"))
    driver.message_shortcut(ids.SAVE_AS_IDEA, "Lend tools at the library", user=user)
    return slack.wait_for("views.open", opened + 1)[-1]["view"]


def stored_links(database: Database) -> list[str | None]:
    with database.session() as session:
        return list(session.scalars(select(Idea.source_url)))


@pytest.mark.parametrize(
    "crafted",
    [
        {"source_url": EVIL},
        {"source_url": EVIL, "source_sig": "0" * 64},
        {"source_url": EVIL, "source_sig": None, "channel": "C001"},
    ],
)
def test_a_crafted_link_in_the_metadata_is_never_shown(
    driver: SlackDriver, database: Database, slack: LocalSlack, crafted: dict
) -> None:
    driver.command("/idea", "")
    view = {**driver.last_opened_view(), "private_metadata": json.dumps(crafted)}
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "Lend tools at the library"})
    assert stored_links(database) == [None]  # saved, without the link
    listing = text_of(response_json(driver.command("/ideas", user="U002")))
    assert "evil.example" not in listing


def test_a_signed_link_moved_to_someone_else_is_not_shown(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    signed = shortcut_form(driver, slack, user="U001")["private_metadata"]
    assert json.loads(signed)["source_url"].startswith("https://")
    driver.command("/idea", "", user="U002")
    view = {**driver.last_opened_view(), "private_metadata": signed}
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "Lend tools at the library"}, user="U002")
    assert stored_links(database) == [None]


def test_a_signed_link_with_another_url_is_not_shown(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    view = shortcut_form(driver, slack)
    metadata = {**json.loads(view["private_metadata"]), "source_url": EVIL}
    driver.submit(
        {**view, "private_metadata": json.dumps(metadata)}, {ids.IDEA_FIELDS["body"]: "x"}
    )
    assert stored_links(database) == [None]


def test_the_link_the_bot_signed_is_kept(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    view = shortcut_form(driver, slack)
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "Lend tools at the library"})
    [link] = stored_links(database)
    assert link is not None and link.startswith("https://local.slack.com/archives/C001/")
