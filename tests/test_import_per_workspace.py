"""An import into one workspace does not depend on another's ideas, nor tells of them; into the
same workspace again it adds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.cli import main
from bot.local.slack import TEAM_ID
from models import Idea, Participant
from models.db import Database
from tests.test_import_export import CURRENT, cli_env, fixture  # noqa: F401 - the fixture

OTHER_TEAM = "T0OTHERCITY"


def _ideas_of(database: Database, team_id: str) -> int:
    with database.session() as session:
        return (
            session.scalar(
                select(func.count(Idea.id))
                .join(Participant, Participant.id == Idea.author_id)
                .where(Participant.team_id == team_id)
            )
            or 0
        )


def _import_into(database: Database, team_id: str) -> int:
    """Import the Decidim export into ``team_id``; how many ideas that workspace has then."""
    assert main(["import", "ideas", fixture(CURRENT), "--team", team_id]) == 0
    return _ideas_of(database, team_id)


def test_the_same_file_imported_into_a_second_workspace_gives_it_the_ideas(
    cli_env: Path,  # noqa: F811
    database: Database,
    capsys,
) -> None:
    # Two cities of one deployment import the same Decidim export (say, a regional process).
    first = _import_into(database, TEAM_ID)
    assert first > 0
    capsys.readouterr()
    # Before: the second workspace got nothing, "already imported" (another workspace's
    # ideas), which also told it what the other workspace holds.
    assert _import_into(database, OTHER_TEAM) == first, capsys.readouterr().out


def test_the_same_file_imported_again_into_one_workspace_adds_nothing(
    cli_env: Path,  # noqa: F811
    database: Database,
) -> None:
    first = _import_into(database, OTHER_TEAM)
    assert first > 0
    assert _import_into(database, OTHER_TEAM) == first
