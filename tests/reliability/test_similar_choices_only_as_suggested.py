"""Issue 11, item 5: joining or linking a similar idea is accepted only for a pair the bot
suggested to that author. A crafted ``similar_join`` naming any other pair changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea, IdeaCoauthor, IdeaLink, IdeaStatus
from models.db import Database
from tests.handlers.test_similar_ideas import LIBRARY, button_value, ideas, share_two
from tests.slack_driver import SlackDriver, text_of

CHOIR = "Completely different: a choir for seniors on Sundays"


def nothing_merged(database: Database) -> bool:
    with database.session() as session:
        coauthors = session.scalars(select(IdeaCoauthor)).all()
        links = session.scalars(select(IdeaLink)).all()
        withdrawn = session.scalars(select(Idea).where(Idea.status == IdeaStatus.WITHDRAWN)).all()
    return coauthors == [] and links == [] and withdrawn == []


@pytest.mark.parametrize("action_id", [ids.SIMILAR_JOIN, ids.SIMILAR_LINK])
def test_a_pair_never_suggested_is_refused(
    driver: SlackDriver, database: Database, slack: LocalSlack, action_id: str
) -> None:
    share_two(driver, slack, database)  # U002 was offered the library idea of U001, and no other
    stored = ideas(database)
    library, choir = stored[LIBRARY].id, stored[CHOIR].id
    # U003 (the choir) was never offered anything: joining the library idea is made by hand.
    before = len(slack.calls_to("response_url"))
    crafted = json.dumps({"own": choir, "other": library})
    driver.click(action_id, crafted, user="U003")
    reply = slack.wait_for("response_url", before + 1)[-1]
    assert "could not be understood" in text_of(reply)
    # U002 crafts a pair with an idea the bot did not suggest to them (the choir).
    own = next(i.id for body, i in stored.items() if body not in (LIBRARY, CHOIR))
    driver.click(action_id, json.dumps({"own": own, "other": choir}), user="U002")
    slack.wait_for("response_url", before + 2)
    assert nothing_merged(database)


def test_the_pair_the_bot_suggested_is_joined(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    shown = share_two(driver, slack, database)
    driver.click(ids.SIMILAR_JOIN, button_value(shown, ids.SIMILAR_JOIN), user="U002")
    slack.wait_for("response_url", count=2)
    assert not nothing_merged(database)
