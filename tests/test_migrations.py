"""Alembic owns the schema: the migrations must build exactly what the models describe."""

from __future__ import annotations

from pathlib import Path

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


def test_sends_before_0037_learn_whose_dm_they_went_to(tmp_path: Path) -> None:
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
