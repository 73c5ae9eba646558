"""Alembic owns the schema: the migrations must build exactly what the models describe."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from models import Base
from models.db import Database, alembic_config


def test_migrations_match_the_models(migrated_database: Database) -> None:
    with migrated_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_safe_to_repeat(migrated_database: Database) -> None:
    migrated_database.upgrade()
    migrated_database.upgrade()


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
    """0037: a theme goes to its creator's workspace; a forgotten creator's to the workspace
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
