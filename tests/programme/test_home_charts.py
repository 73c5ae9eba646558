"""The programme's charts on a facilitator's App Home, at the Slack boundary: the Home view shows
them in an image block whose ``slack_file`` is a PNG the app uploaded, shared in no channel,
uploaded again only when a figure changes; the figures stay there as text."""

from __future__ import annotations

from typing import Any

from bot.local.slack import TEAM_ID, LocalSlack
from handlers.programme_blocks import HOME_CHART_BLOCK
from models import Idea
from models.db import Database
from services import participants
from tests.polls.world import FACILITATOR
from tests.slack_driver import SlackDriver, text_of

PNG = b"\x89PNG\r\n\x1a\n"


def add_idea(database: Database, title: str) -> None:
    with database.session() as session:
        author = participants.ensure_participant(session, participants.SlackUser(TEAM_ID, "UAINO"))
        session.flush()
        session.add(Idea(author_id=author.id, kind="idea", title=title, body=title))


def open_home(driver: SlackDriver, slack: LocalSlack, user: str, publishes: int = 1) -> Any:
    """The Home view published after ``user`` opened App Home (the last of ``publishes``)."""
    published = len(slack.calls_to("views.publish"))
    driver.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    return slack.wait_for("views.publish", published + publishes, timeout=15)[-1]["view"]


def images(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in view["blocks"] if block["type"] == "image"]


def uploads(slack: LocalSlack) -> int:
    return len(slack.calls_to("files.completeUploadExternal"))


def test_the_facilitators_home_shows_the_programme_chart_uploaded_once_per_figures(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    home = open_home(driver, slack, FACILITATOR)
    [chart] = images(home)
    file_id = chart["slack_file"]["id"]
    uploaded = slack.files[file_id]
    assert uploaded.content.startswith(PNG) and len(uploaded.content) > 1000
    assert uploaded.channels == ()  # completed without a channel: private to the app
    assert chart["block_id"] == HOME_CHART_BLOCK
    # The same figures in words, for whoever cannot see the image, and as text beside it.
    assert "Ideas: 1 · needs: 0" in chart["alt_text"] and "*" not in chart["alt_text"]
    assert "Ideas: *1* · needs: *0*" in text_of(home)
    assert chart["title"]["type"] == "plain_text"
    assert chart["title"]["text"].startswith("Programme report")

    # Opened again with the same figures: the remembered file, nothing uploaded.
    assert images(open_home(driver, slack, FACILITATOR))[0]["slack_file"]["id"] == file_id
    assert uploads(slack) == 1

    # A figure changes: a new chart.
    add_idea(database, "Repair café")
    [changed] = images(open_home(driver, slack, FACILITATOR))
    assert changed["slack_file"]["id"] != file_id
    assert "Ideas: 2" in changed["alt_text"]
    assert slack.files[changed["slack_file"]["id"]].content.startswith(PNG)
    assert uploads(slack) == 2

    # Members see no programme figures, so no chart either.
    assert images(open_home(driver, slack, "UAINO")) == []


def test_a_chart_slack_no_longer_has_leaves_the_figures_as_text(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    [chart] = images(open_home(driver, slack, FACILITATOR))
    del slack.files[chart["slack_file"]["id"]]  # removed in Slack by an admin

    home = open_home(driver, slack, FACILITATOR, publishes=2)
    refused, published = slack.calls_to("views.publish")[-2:]
    assert images(refused["view"]) and home == published["view"]
    assert images(home) == [] and "Ideas: *1* · needs: *0*" in text_of(home)
    # The local Slack refused the first publish as real Slack would; that one was expected.
    [violation] = slack.violations
    assert violation.method == "views.publish" and "invalid slack file" in str(violation)
    slack.violations.clear()
