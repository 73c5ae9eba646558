"""``/ideas`` pages (``services.ideas.list_ideas``): right at the edges (past the end, nothing
found, co-authors), and in as few statements as the page allows, on a reading session that
opens no transaction on PostgreSQL (``Database.reading``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from models import Idea, IdeaCoauthor, IdeaKind, Participant
from models.base import utcnow
from models.db import Database
from services.ideas import IdeaPage, list_ideas, search_text
from tests.round_trips import statements_sent


def store_ideas(database: Database, count: int) -> list[int]:
    """``count`` open ideas by one author, the last one the newest; their ids."""
    now = utcnow()
    with database.session() as session:
        author = Participant(team_id="T1", user_id="UPAGES", display_name="pages")
        session.add(author)
        ideas = []
        for number in range(count):
            idea = Idea(
                author=author,
                kind=IdeaKind.IDEA,
                title=f"Idea number {number}",
                body=f"Bike idea number {number}",
                created_at=now + timedelta(seconds=number),
            )
            idea.search_text = search_text(idea)
            ideas.append(idea)
        session.add_all(ideas)
        session.flush()
        return [idea.id for idea in ideas]


def page_of(database: Database, query: str, page: int) -> IdeaPage:
    with database.reading() as session:
        return list_ideas(session, "T1", query, page)


def titles(page: IdeaPage) -> list[str]:
    return [idea.title for idea in page.ideas]


def test_pages_count_all_that_match_and_past_the_end_is_the_last_page(
    database: Database,
) -> None:
    store_ideas(database, 7)
    first, second, past = (page_of(database, "", number) for number in (1, 2, 9))
    assert titles(first) == [f"Idea number {n}" for n in (6, 5, 4, 3, 2)]
    assert (first.page, first.pages, first.total) == (1, 2, 7)
    assert titles(second) == ["Idea number 1", "Idea number 0"]
    assert (second.page, second.pages, second.total) == (2, 2, 7)
    assert (titles(past), past.page, past.pages, past.total) == (titles(second), 2, 2, 7)
    assert (page_of(database, "", 0).page, page_of(database, "", -3).page) == (1, 1)


def test_nothing_found_is_one_empty_page(database: Database) -> None:
    store_ideas(database, 3)
    for number in (1, 4):
        found = page_of(database, "tramway", number)
        assert (titles(found), found.page, found.pages, found.total) == ([], 1, 1, 0)
    assert page_of(database, "", 1).total == 3


def test_a_page_costs_one_statement_and_its_coauthors_one_more(database: Database) -> None:
    """One statement for the page, its count and whether its ideas have co-authors, with no
    BEGIN or COMMIT on PostgreSQL; the co-authors are read only when there are some."""
    ids = store_ideas(database, 7)
    with statements_sent(database) as sent:
        page = page_of(database, "bike", 1)
    assert (page.total, page.coauthors) == (7, {})
    assert len(sent) == 1, sent
    with database.session() as session:
        coauthor = Participant(team_id="T1", user_id="UCO", display_name="co")
        session.add(coauthor)
        session.flush()
        session.add(IdeaCoauthor(idea_id=ids[-1], participant_id=coauthor.id))
    with statements_sent(database) as sent:
        page = page_of(database, "bike", 1)
    assert [(i, [p.user_id for p in people]) for i, people in page.coauthors.items()] == [
        (ids[-1], ["UCO"])
    ]
    assert len(sent) == 2, sent


def test_a_reading_session_refuses_to_write(database: Database) -> None:
    store_ideas(database, 1)
    with pytest.raises(RuntimeError, match="does not write"), database.reading() as session:
        idea = session.scalars(select(Idea)).one()
        idea.title = "Changed"
        session.flush()
    with database.session() as session:
        assert session.scalars(select(Idea.title)).one() == "Idea number 0"


def test_a_reading_sessions_connection_goes_back_in_transaction_mode(database: Database) -> None:
    """The pool hands connections out in SQLAlchemy's own mode: the next session that writes
    must get a transaction, not statements that commit one by one."""
    returned: list[bool] = []

    def checked_in(dbapi_connection: Any, _record: Any) -> None:
        returned.append(bool(getattr(dbapi_connection, "autocommit", False)))

    event.listen(database.engine, "checkin", checked_in)
    try:
        page_of(database, "", 1)
    finally:
        event.remove(database.engine, "checkin", checked_in)
    assert returned == [False]
