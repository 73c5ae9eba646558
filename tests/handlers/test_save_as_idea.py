"""The "Save as idea" message shortcut: a prefilled form, and a link back to the message."""

from __future__ import annotations

from sqlalchemy import select

from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of


def shortcut_form(driver: SlackDriver, slack: LocalSlack, text: str, **kwargs) -> dict:
    opened = len(slack.calls_to("views.open"))
    assert driver.message_shortcut(ids.SAVE_AS_IDEA, text, **kwargs).status == 200
    return slack.wait_for("views.open", opened + 1)[-1]["view"]


def test_message_is_saved_as_an_idea_with_a_link_back(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    view = shortcut_form(driver, slack, "What if the library lent tools?", ts="1700000000.000100")
    [body_block] = [b for b in view["blocks"] if b["block_id"] == ids.IDEA_FIELDS["body"]]
    assert body_block["element"]["initial_value"] == "What if the library lent tools?"
    [permalink] = slack.calls_to("chat.getPermalink")
    assert (permalink["channel"], permalink["message_ts"]) == ("C001", "1700000000.000100")
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "What if the library lent tools?"})
    with database.session() as session:
        idea = session.scalars(select(Idea)).one()
    link = "https://local.slack.com/archives/C001/p1700000000000100"
    assert idea.source_url == link
    [confirmation] = slack.wait_for("chat.postEphemeral")
    assert f"<{link}|From this message>" in text_of(confirmation, formatted_only=True)
    listing = text_of(response_json(driver.command("/ideas")), formatted_only=True)
    assert f"<{link}|From this message>" in listing


def test_without_a_permalink_the_idea_is_still_saved(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.fail("chat.getPermalink", error="message_not_found")
    view = shortcut_form(driver, slack, "Still worth keeping")
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "Still worth keeping"})
    with database.session() as session:
        idea = session.scalars(select(Idea)).one()
        assert idea.source_url is None and idea.body == "Still worth keeping"


def test_long_message_is_cut_to_the_limit_in_the_form(
    driver: SlackDriver, slack: LocalSlack
) -> None:
    view = shortcut_form(driver, slack, "x" * 5000)
    [body_block] = [b for b in view["blocks"] if b["block_id"] == ids.IDEA_FIELDS["body"]]
    assert len(body_block["element"]["initial_value"]) == 3000


def test_crafted_source_link_cannot_inject_markup(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    view = shortcut_form(driver, slack, "Hello")
    view["private_metadata"] = '{"source_url": "https://x.example|<!channel>"}'
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "Hello"})
    with database.session() as session:
        assert session.scalars(select(Idea)).one().source_url is None
