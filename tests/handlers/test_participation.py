"""A participant's own controls, and how they shape the matchmaking pool."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.local.slack import TEAM_ID
from models import OptIn, Participant
from models.db import Database
from services import matchmaking
from services.errors import InvalidInput
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
    until = (date.today() + timedelta(days=14)).isoformat()
    assert until in answer(driver, "pause 2w", "U002")
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
