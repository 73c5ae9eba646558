"""The programme's charts on a facilitator's App Home, at the Slack boundary: the Home view shows
them in an image block whose ``slack_file`` is a PNG the app uploaded, shared in no channel,
uploaded again only when a figure changes, and the file it replaced deleted after the new Home is
published; the figures stay there as text, counted at most once a minute per team.

The app's clock for those figures (``home_clock``) stands still until a test advances it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.local.console import WatchedExecutor, WatchedPools
from bot.local.slack import TEAM_ID, LocalSlack
from bot.settings import Settings
from handlers.programme_blocks import HOME_CHART_BLOCK
from models import Idea, RetiredHomeChart
from models.db import Database
from services import participants
from tests.clock import ManualClock
from tests.conftest import SIGNING_SECRET, local_app
from tests.polls.world import FACILITATOR
from tests.round_trips import statements_sent
from tests.slack_driver import SlackDriver, finished, text_of

PNG = b"\x89PNG\r\n\x1a\n"


def add_idea(database: Database, title: str) -> None:
    with database.session() as session:
        author = participants.ensure_participant(session, participants.SlackUser(TEAM_ID, "UAINO"))
        session.flush()
        session.add(Idea(author_id=author.id, kind="idea", title=title, body=title))


class AppHome:
    """The real app, opened on App Home by signed ``app_home_opened`` events; each open returns
    once the app has finished its work (the deletes after the publish too)."""

    def __init__(
        self, settings: Settings, database: Database, slack: LocalSlack, clock: ManualClock
    ) -> None:
        self.slack = slack
        self.pools = WatchedPools(WatchedExecutor(4), WatchedExecutor(2))
        app = local_app(settings, database, *self.pools.pools, home_clock=clock)
        self.driver = SlackDriver(app, slack, SIGNING_SECRET)

    def open(self, user: str, publishes: int = 1) -> Any:
        """The Home view published after ``user`` opened App Home (the last of ``publishes``)."""
        published = len(self.slack.calls_to("views.publish"))
        self.driver.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
        view = self.slack.wait_for("views.publish", published + publishes, timeout=15)[-1]["view"]
        finished(self.pools, timeout=15)
        return view


@pytest.fixture
def app_home(
    settings: Settings, database: Database, slack: LocalSlack, home_clock: ManualClock
) -> Iterator[AppHome]:
    home = AppHome(settings, database, slack, home_clock)
    yield home
    home.pools.shutdown(wait=True)


def images(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in view["blocks"] if block["type"] == "image"]


def uploads(slack: LocalSlack) -> int:
    return len(slack.calls_to("files.completeUploadExternal"))


def chart_id(view: dict[str, Any]) -> str:
    [chart] = images(view)
    return str(chart["slack_file"]["id"])


def deletes(slack: LocalSlack) -> list[str]:
    return [call["file"] for call in slack.calls_to("files.delete")]


def retired(database: Database) -> list[RetiredHomeChart]:
    with database.session() as session:
        return list(session.scalars(select(RetiredHomeChart)))


def a_chart_then_new_figures(
    app_home: AppHome, database: Database, slack: LocalSlack, home_clock: ManualClock
) -> str:
    """A facilitator's Home shows a chart; then a figure changes and the minute the figures are
    kept for is over. The first chart's file id."""
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    first = chart_id(app_home.open(FACILITATOR))
    add_idea(database, "Repair café")
    home_clock.advance(seconds=61)
    return first


def test_the_facilitators_home_shows_the_programme_chart_uploaded_once_per_figures(
    app_home: AppHome, database: Database, slack: LocalSlack, home_clock: ManualClock
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    home = app_home.open(FACILITATOR)
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
    assert images(app_home.open(FACILITATOR))[0]["slack_file"]["id"] == file_id
    assert uploads(slack) == 1

    # A figure changes: a new chart (once the minute the figures are kept for is over).
    add_idea(database, "Repair café")
    home_clock.advance(seconds=61)
    [changed] = images(app_home.open(FACILITATOR))
    assert changed["slack_file"]["id"] != file_id
    assert "Ideas: 2" in changed["alt_text"]
    assert slack.files[changed["slack_file"]["id"]].content.startswith(PNG)
    assert uploads(slack) == 2

    # Members see no programme figures, so no chart either.
    assert images(app_home.open("UAINO")) == []


def test_a_chart_slack_no_longer_has_leaves_the_figures_as_text(
    app_home: AppHome, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    [chart] = images(app_home.open(FACILITATOR))
    del slack.files[chart["slack_file"]["id"]]  # removed in Slack by an admin

    home = app_home.open(FACILITATOR, publishes=2)
    refused, published = slack.calls_to("views.publish")[-2:]
    assert images(refused["view"]) and home == published["view"]
    assert images(home) == [] and "Ideas: *1* · needs: *0*" in text_of(home)
    # The local Slack refused the first publish as real Slack would; that one was expected.
    [violation] = slack.violations
    assert violation.method == "views.publish" and "invalid slack file" in str(violation)
    slack.violations.clear()


def test_the_chart_a_new_one_replaces_is_deleted_after_the_new_home_is_published(
    app_home: AppHome, database: Database, slack: LocalSlack, home_clock: ManualClock
) -> None:
    first = a_chart_then_new_figures(app_home, database, slack, home_clock)
    home = app_home.open(FACILITATOR)
    second = chart_id(home)
    assert second != first and "Ideas: *2*" in text_of(home)
    # One chart file is left in Slack: the one the Home shows.
    assert set(slack.files) == {second} and slack.deleted_files == {first}
    # Deleted after the Home that shows the new one was published, never before.
    methods = [
        call.method for call in slack.calls if call.method in ("views.publish", "files.delete")
    ]
    assert methods == ["views.publish", "views.publish", "files.delete"]
    assert retired(database) == []

    # Opened again: nothing more to delete, nothing deleted twice.
    home_clock.advance(seconds=61)
    assert chart_id(app_home.open(FACILITATOR)) == second
    assert deletes(slack) == [first] and uploads(slack) == 2


@pytest.mark.parametrize("deleted_meanwhile", [False, True], ids=["retried", "gone-already"])
def test_a_delete_that_failed_is_tried_again_after_a_pause(
    app_home: AppHome,
    database: Database,
    slack: LocalSlack,
    home_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    deleted_meanwhile: bool,
) -> None:
    first = a_chart_then_new_figures(app_home, database, slack, home_clock)
    slack.fail("files.delete", error="internal_error")
    second = chart_id(app_home.open(FACILITATOR))

    # Not deleted, and not forgotten: recorded with its error, and said in the log.
    assert deletes(slack) == [first] and set(slack.files) == {first, second}
    [waiting] = retired(database)
    assert (waiting.file_id, waiting.attempts, waiting.error) == (first, 1, "internal_error")
    assert f"App Home chart {first} of {TEAM_ID} not deleted" in caplog.text

    # Opened again within the pause: not tried yet.
    app_home.open(FACILITATOR)
    assert deletes(slack) == [first]

    if deleted_meanwhile:
        # Slack had deleted it after all (its answer was what got lost), or an admin did: the
        # retry is answered file_deleted, which counts as done.
        slack.files.pop(first)
        slack.deleted_files.add(first)
    # After the pause, the next Home tries again, and the file is gone, without a warning.
    home_clock.advance(seconds=61)
    caplog.clear()
    assert chart_id(app_home.open(FACILITATOR)) == second
    assert deletes(slack) == [first, first] and "not deleted" not in caplog.text
    assert set(slack.files) == {second} and retired(database) == []
    # Never tried again.
    home_clock.advance(seconds=3600)
    app_home.open(FACILITATOR)
    assert deletes(slack) == [first, first]


def report_statements(statements: list[str]) -> list[str]:
    # Only the programme report reads the stage evaluations' answers on an App Home open.
    return [sql for sql in statements if "stage_evaluation_answers" in sql]


def test_the_figures_are_counted_once_a_minute_and_the_home_says_when(
    app_home: AppHome, database: Database, slack: LocalSlack, home_clock: ManualClock
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    with statements_sent(database) as first:
        home = app_home.open(FACILITATOR)
    assert report_statements(first)
    counted = int(home_clock().timestamp())
    assert f"<!date^{counted}^{{time}}|" in text_of(home)

    # Opened again a moment later, after a change: the figures of a moment ago, and when.
    add_idea(database, "Repair café")
    home_clock.advance(seconds=30)
    with statements_sent(database) as second:
        home = app_home.open(FACILITATOR)
    assert report_statements(second) == []
    assert "Ideas: *1*" in text_of(home) and f"<!date^{counted}^" in text_of(home)
    assert "a change shows here within a minute" in text_of(home)

    # A minute after they were counted: counted again.
    home_clock.advance(seconds=31)
    with statements_sent(database) as third:
        home = app_home.open(FACILITATOR)
    assert report_statements(third)
    assert "Ideas: *2*" in text_of(home)
    assert f"<!date^{int(home_clock().timestamp())}^" in text_of(home)


def test_a_process_with_older_figures_counts_again_instead_of_replacing_a_newer_chart(
    app_home: AppHome,
    settings: Settings,
    database: Database,
    slack: LocalSlack,
    home_clock: ManualClock,
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    add_idea(database, "Tool library")
    first = chart_id(app_home.open(FACILITATOR))
    add_idea(database, "Repair café")

    # A second process of the same deployment, whose clock is a little ahead, counts anew.
    other = AppHome(settings, database, slack, ManualClock(home_clock() + timedelta(seconds=5)))
    try:
        second = chart_id(other.open(FACILITATOR))
    finally:
        other.pools.shutdown(wait=True)
    assert second != first

    # The first process still keeps its older figures: seeing the newer chart, it counts again
    # and shows that chart, instead of uploading its own and replacing it.
    home = app_home.open(FACILITATOR)
    assert chart_id(home) == second and "Ideas: *2*" in text_of(home)
    assert uploads(slack) == 2 and set(slack.files) == {second}
