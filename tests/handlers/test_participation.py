"""A participant's own controls, and how they shape the matchmaking pool."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from bot.settings import DEFAULT_TIME_ZONE
from i18n import format_day
from models import OptIn, Participant
from models.base import utcnow
from models.db import Database
from services import matchmaking, participation
from services.errors import InvalidInput
from services.local_time import local_day
from services.participants import SlackUser
from services.participation import parse_until
from tests.slack_driver import SlackDriver, response_json, text_of


def answer(driver: SlackDriver, text: str, user: str = "U001") -> str:
    return text_of(response_json(driver.command("/collider", text, user=user)))


def participant(database: Database, user_id: str) -> Participant:
    with database.session() as session:
        return session.scalars(select(Participant).where(Participant.user_id == user_id)).one()


def pool_ids(database: Database) -> set[str]:
    with database.session() as session:
        entries = matchmaking.build_pool(session, TEAM_ID, matchmaking.RoundSettings())
        return {entry.participant.user_id for entry in entries}


def test_leave_join_and_pause_change_who_is_in_the_pool(
    driver: SlackDriver, database: Database
) -> None:
    for user in ("U001", "U002", "U003"):
        driver.command("/idea", f"Idea of {user}", user=user)
    assert pool_ids(database) == {"U001", "U002", "U003"}

    assert "left matchmaking" in answer(driver, "leave", "U001")
    assert participant(database, "U001").opt_in is OptIn.OUT
    # U002 is no member Slack knows: their days are the deployment's (Europe/Helsinki).
    today = local_day(utcnow(), ZoneInfo(DEFAULT_TIME_ZONE))
    assert format_day(today + timedelta(days=14), "en") in answer(driver, "pause 2w", "U002")
    assert pool_ids(database) == {"U003"}

    assert "You are in" in answer(driver, "join", "U001")
    assert pool_ids(database) == {"U001", "U003"}


@pytest.mark.parametrize("text", ["pause", "pause someday", "pause 2020-01-01", "pause 31.02.2030"])
def test_bad_pause_dates_are_explained(driver: SlackDriver, database: Database, text: str) -> None:
    driver.command("/idea", "Something", user="U001")
    reply = answer(driver, text)
    assert "/collider pause" in reply or "in the past" in reply
    assert participant(database, "U001").opt_in is OptIn.IN


def test_parse_until_accepts_iso_finnish_and_relative_dates() -> None:
    today = date(2026, 11, 22)
    assert parse_until("2026-12-24", today) == date(2026, 12, 24)
    assert parse_until("24.12.2026", today) == date(2026, 12, 24)
    assert parse_until("3w", today) == date(2026, 12, 13)
    assert parse_until("10 days", today) == date(2026, 12, 2)
    with pytest.raises(InvalidInput):
        parse_until("next tuesday", today)


HELSINKI = ZoneInfo("Europe/Helsinki")
# 00:30 on 5 December in Helsinki (UTC+2): in UTC it is still 4 December.
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)


def _pause(database: Database, text: str) -> tuple[date, datetime | None]:
    with database.session() as session:
        user = SlackUser(TEAM_ID, "U001")
        until = participation.pause(session, user, text, HELSINKI, now=JUST_AFTER_MIDNIGHT)
    return until, participant(database, "U001").paused_until


def test_pausing_until_today_just_after_midnight_is_in_the_past(database: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        _pause(database, "5.12.2026")
    assert refused.value.key == "rounds.pause_past"


def test_a_pause_counts_from_the_persons_today_and_ends_as_their_day_begins(
    database: Database,
) -> None:
    until, paused_until = _pause(database, "2w")
    assert until == date(2026, 12, 19)  # 14 days from 5 December, not from UTC's 4th
    assert paused_until == datetime(2026, 12, 19, tzinfo=HELSINKI)  # 22:00 UTC on the 18th
    _, paused_until = _pause(database, "6.12.2026")
    assert paused_until == datetime(2026, 12, 5, 22, tzinfo=UTC)


def test_a_pause_ends_as_the_day_begins_in_the_zone_slack_gives_the_person(
    driver: SlackDriver, slack: LocalSlack, database: Database
) -> None:
    """Slack's ``tz`` wins over the deployment's zone, and App Home names the same day the
    answer did, though in UTC the pause ends the day before."""
    kiritimati = ZoneInfo("Pacific/Kiritimati")  # UTC+14: the day begins at 10:00 UTC before
    slack.add_user("U001", "aino", tz="Pacific/Kiritimati")
    assert "Dec 31, 2030" in answer(driver, "pause 2030-12-31")
    assert participant(database, "U001").paused_until == datetime(2030, 12, 31, tzinfo=kiritimati)
    driver.event({"type": "app_home_opened", "user": "U001", "channel": "D1", "tab": "home"})
    [home] = slack.wait_for("views.publish")
    assert "Dec 31, 2030" in text_of(home["view"]), text_of(home["view"])


def test_do_not_match_list_is_private_and_editable(driver: SlackDriver, database: Database) -> None:
    assert "empty" in answer(driver, "avoid")
    assert "will not be matched with <@U777>" in answer(driver, "avoid <@U777|someone>")
    assert "<@U777>" in answer(driver, "avoid")
    assert "empty" in answer(driver, "avoid", "U777")  # the other person's list is their own
    assert "cannot avoid yourself" in answer(driver, "avoid <@U001>")
    assert "Usage" in answer(driver, "avoid not-a-mention")
    assert "removed" in answer(driver, "unavoid <@U777>")
    assert "empty" in answer(driver, "avoid")


def test_avoided_pairs_reach_the_engine(driver: SlackDriver, database: Database) -> None:
    driver.command("/collider", "avoid <@U002>", user="U001")
    driver.command("/idea", "x", user="U002")
    with database.session() as session:
        ids = [p.id for p in session.scalars(select(Participant).order_by(Participant.user_id))]
        assert matchmaking.avoided_pairs(session, ids) == {(str(ids[0]), str(ids[1]))}
