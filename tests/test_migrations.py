"""Alembic owns the schema: the migrations must build exactly what the models describe."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from models import Base, HomeChart, RetiredHomeChart
from models.db import Database, alembic_config
from services.importing import import_key
from tests.conftest import BACKENDS
from tests.databases import scratch_postgres_database


def test_migrations_match_the_models(migrated_database: Database) -> None:
    with migrated_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_safe_to_repeat(migrated_database: Database) -> None:
    migrated_database.upgrade()
    migrated_database.upgrade()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        with scratch_postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
            yield url


def test_charts_uploaded_before_0037_are_shown_or_retired(empty_database_url: str) -> None:
    # Before 0037 every chart App Home uploaded stayed in Slack, remembered by its send key only.
    database = Database(empty_database_url)
    try:
        with database.engine.begin() as connection:
            config = alembic_config(empty_database_url)
            config.attributes["connection"] = connection
            command.upgrade(config, "0036")
            sends = [
                ("programme:T1:home-chart:fi:aaa", "sent", "2026-01-01 10:00", " F1"),
                ("programme:T1:home-chart:fi:bbb", "sent", "2026-01-02 10:00", " F2"),
                ("programme:T1:home-chart:en:aaa", "sent", "2026-01-01 11:00", " F3"),
                ("programme:T1:home-chart:sv:ccc", "failed", None, None),
                ("poll:1:to:2", "sent", "2026-01-01 12:00", "D1 1.0"),
            ]
            for key, state, sent_at, result in sends:
                connection.execute(
                    text(
                        "INSERT INTO scheduled_sends (key, state, attempts, claimed_at, sent_at,"
                        " result) VALUES (:key, :state, 1, '2026-01-01 09:00', :sent_at, :result)"
                    ),
                    {"key": key, "state": state, "sent_at": sent_at, "result": result},
                )
            command.upgrade(config, "0037")
        with database.session() as session:
            shown = {(c.language, c.file_id, c.digest) for c in session.scalars(select(HomeChart))}
            retired = [(r.file_id, r.team_id) for r in session.scalars(select(RetiredHomeChart))]
        assert shown == {("fi", "F2", "bbb"), ("en", "F3", "aaa")}
        assert retired == [("F1", "T1")]
    finally:
        database.dispose()


def test_sends_before_0039_learn_whose_dm_they_went_to(tmp_path: Path) -> None:
    """Sends claimed before sends recorded their recipient are found by forget-me all the same:
    the migration reads it from their keys."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "0036")
            connection.execute(
                text(
                    "INSERT INTO participants (id, team_id, user_id, is_offline, opt_in, created_at, updated_at)"
                    " VALUES (7, 'T1', 'UEEVA', 0, 'in', '2026-01-01', '2026-01-01')"
                )
            )
            for key in ("evaluation:3:invite:7", "experiment:4:result:7", "claim:9:UEEVA", "x:7"):
                connection.execute(
                    text(
                        "INSERT INTO scheduled_sends (key, state, attempts, claimed_at, result)"
                        " VALUES (:key, 'sent', 1, '2026-01-01', 'DEEVA 1.2')"
                    ),
                    {"key": key},
                )
            command.upgrade(config, "head")
            found = connection.execute(text("SELECT key, recipient FROM scheduled_sends"))
            assert dict(found.all()) == {
                "evaluation:3:invite:7": "UEEVA",
                "experiment:4:result:7": "UEEVA",
                "claim:9:UEEVA": "UEEVA",
                "x:7": None,
            }
    finally:
        engine.dispose()


def _migrate(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


@pytest.mark.parametrize("teams", [("T1", "T2"), ("T1",)])
def test_existing_themes_are_given_the_workspace_they_came_from(
    tmp_path: Path, teams: tuple[str, ...]
) -> None:
    """0040: a theme goes to its creator's workspace; a forgotten creator's to the workspace
    of the ideas attached to it, or to the only workspace; otherwise to none (hidden), never
    to a guess."""
    url = f"sqlite:///{tmp_path / 'themes.sqlite3'}"
    _migrate(url, "0036")
    now, today = datetime.now(UTC), date.today()
    engine = create_engine(url)
    with engine.begin() as connection:
        for number, team in enumerate(teams, start=1):
            connection.execute(
                text(
                    "INSERT INTO participants (id, team_id, user_id, opt_in, is_offline,"
                    " created_at, updated_at) VALUES (:id, :team, :user, 'in', 0, :now, :now)"
                ),
                {"id": number, "team": team, "user": f"U{number}", "now": now},
            )
        for theme_id, creator in ((1, len(teams)), (2, None), (3, None)):
            connection.execute(
                text(
                    "INSERT INTO themes (id, title, description, opens_on, status, created_by_id,"
                    " created_at) VALUES (:id, 'T', '', :today, 'open', :creator, :now)"
                ),
                {"id": theme_id, "today": today, "creator": creator, "now": now},
            )
        connection.execute(
            text(
                "INSERT INTO ideas (author_id, kind, title, body, status, stage, search_text,"
                " theme_id, created_at, updated_at)"
                " VALUES (1, 'idea', 'I', 'B', 'open', 'idea', '', 2, :now, :now)"
            ),
            {"now": now},
        )
    engine.dispose()
    _migrate(url, "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        found = dict(connection.execute(text("SELECT id, team_id FROM themes")).all())
    engine.dispose()
    # Theme 3: no creator, no ideas; two workspaces: neither gets it.
    alone = teams[0] if len(teams) == 1 else ""
    assert found == {1: teams[-1], 2: "T1", 3: alone}


def test_sends_and_import_keys_before_0041_learn_their_workspace(tmp_path: Path) -> None:
    """0041: a send gets the workspace its key names, else its recipient's only one, else
    none; an import key becomes the one its author's workspace now gives the same row, so
    importing the file there again still adds nothing."""
    url = f"sqlite:///{tmp_path / 'grid.sqlite3'}"
    _migrate(url, "0040")
    now = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as connection:
        # UGRID is a member of both workspaces; UALONE of one.
        for pid, team, user in ((1, "T1", "UGRID"), (2, "T2", "UGRID"), (3, "T1", "UALONE")):
            connection.execute(
                text(
                    "INSERT INTO participants (id, team_id, user_id, opt_in, is_offline,"
                    " created_at, updated_at) VALUES (:id, :team, :user, 'in', 0, :now, :now)"
                ),
                {"id": pid, "team": team, "user": user, "now": now},
            )
        sends = {"evaluation:3:invite:2": "UGRID", "x:1": "UALONE", "x:2": "UGRID"}
        for key, recipient in sends.items():
            connection.execute(
                text(
                    "INSERT INTO scheduled_sends (key, state, attempts, claimed_at, recipient)"
                    " VALUES (:key, 'sent', 1, :now, :recipient)"
                ),
                {"key": key, "recipient": recipient, "now": now},
            )
        old_key = hashlib.sha256(b"decidim:omastadi.hel.fi\n42").hexdigest()
        connection.execute(
            text(
                "INSERT INTO ideas (author_id, kind, title, body, status, stage, search_text,"
                " import_key, created_at, updated_at)"
                " VALUES (2, 'idea', 'I', 'B', 'open', 'idea', '', :key, :now, :now)"
            ),
            {"key": old_key, "now": now},
        )
    engine.dispose()
    _migrate(url, "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        teams = dict(connection.execute(text("SELECT key, team_id FROM scheduled_sends")).all())
        key = connection.execute(text("SELECT import_key FROM ideas")).scalar_one()
    engine.dispose()
    assert teams == {"evaluation:3:invite:2": "T2", "x:1": "T1", "x:2": None}
    assert key == import_key("T2", "decidim:omastadi.hel.fi\n42")
