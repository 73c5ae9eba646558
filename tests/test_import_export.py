"""collider import ideas / collider export: the real CLI on the test database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from models import Idea, IdeaKind, Participant
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of

IDEA_BOX = (
    "text,author,category\n"
    '"Tool library for residents",Aino Virtanen,Living\n'
    ",Nobody,Living\n"
    '"Tool library for residents",Someone Else,Living\n'
    f'"{"x" * 3001}",Long Writer,\n'
    '"=HYPERLINK(""http://evil.example"")",Mallory,\n'
    "Anonymous suggestion,,\n"
)
DECIDIM = (
    "id;title/fi;title/sv;body/fi;category/name;author/name;published_at\n"
    '7;Kaupunkiviljely;Stadsodling;"<p>Palstoja &amp; kasvimaita</p><p>kaikille</p>";'
    "Ympäristö;Kalle;2024-05-02T10:00:00Z\n"
)


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ideas_in(database: Database) -> list[Idea]:
    with database.session() as session:
        return list(session.scalars(select(Idea).order_by(Idea.id)))


def test_import_reports_skipped_rows_and_is_idempotent(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(cli_env, "box.csv", IDEA_BOX)
    assert main(["import", "ideas", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "Imported 3 of 6 rows" in out
    assert "row 3: empty" in out
    assert "row 4: duplicate of row 2" in out
    assert "row 5: too long (body: 3001 > 3000)" in out
    assert "row" in err  # the progress bar
    stored = ideas_in(database)
    assert [idea.body for idea in stored] == [
        "Tool library for residents",
        '=HYPERLINK("http://evil.example")',
        "Anonymous suggestion",
    ]
    assert stored[0].theme == "Living"
    with database.session() as session:
        names = set(session.scalars(select(Participant.display_name)))
        users = set(session.scalars(select(Participant.user_id)))
        assert {"Aino Virtanen", "Mallory"} <= names and "imported" in users

    assert main(["import", "ideas", str(path)]) == 0
    again, _ = capsys.readouterr()
    assert "Imported 0 of 6 rows" in again and "row 2: already imported" in again
    assert len(ideas_in(database)) == 3


def test_decidim_export_imports_as_it_is(
    cli_env: Path, database: Database, driver: SlackDriver
) -> None:
    path = write(cli_env, "decidim.csv", DECIDIM)
    assert main(["import", "ideas", str(path), "--kind", "need"]) == 0
    [idea] = ideas_in(database)
    assert (idea.kind, idea.title, idea.theme) == (IdeaKind.NEED, "Kaupunkiviljely", "Ympäristö")
    assert idea.body == "Palstoja & kasvimaita\nkaikille"
    assert idea.created_at.year == 2024
    listing = text_of(response_json(driver.command("/ideas", "kaupunkiviljely")))
    assert "Palstoja &amp; kasvimaita" in listing


def test_options_override_theme_and_author_column(cli_env: Path, database: Database) -> None:
    path = write(cli_env, "box.csv", "text,who\nBenches in the park,Pekka\n")
    main(["import", "ideas", str(path), "--theme", "Parks", "--author-column", "who"])
    [idea] = ideas_in(database)
    with database.session() as session:
        author = session.get(Participant, idea.author_id)
        assert (idea.theme, author.display_name, author.team_id) == ("Parks", "Pekka", "T0IMPORT")


def test_file_without_a_text_column_imports_nothing(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(cli_env, "wrong.csv", "name,email\nA,a@example.org\n")
    assert main(["import", "ideas", str(path)]) == 2
    assert "needs a 'text' column" in capsys.readouterr().err
    assert main(["import", "ideas", str(cli_env / "missing.csv")]) == 2
    assert ideas_in(database) == []


def test_export_ideas_is_safe_against_formulas(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", "ideas", str(write(cli_env, "box.csv", IDEA_BOX))])
    out = cli_env / "ideas.csv"
    assert main(["export", "ideas", "--out", str(out)]) == 0
    assert "Exported 3 ideas" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["body"] for row in rows][1] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["author"] == "Aino Virtanen" and rows[0]["stage"] == "idea"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_export_rounds_and_think_tanks(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from services import ideas, matchmaking
    from services.participants import SlackUser

    with database.session() as session:
        for number in range(6):
            user = SlackUser("T0LOCAL", f"U9{number}", name=f"=person{number}")
            topic = "library tools lending" if number < 3 else "school yard trees garden"
            ideas.submit_idea(session, user, ideas.IdeaInput(kind="idea", body=f"{topic} {number}"))
        facilitator = SlackUser("T0LOCAL", "UFACIL")
        preview = matchmaking.create_preview(
            session, facilitator, matchmaking.RoundSettings(min_size=3, max_size=3, min_distinct=0)
        )
        matchmaking.confirm(session, preview.id, preview.version, facilitator)
    rounds_csv, tanks_csv = cli_env / "rounds.csv", cli_env / "tanks.csv"
    assert main(["export", "rounds", "--out", str(rounds_csv)]) == 0
    assert main(["export", "thinktanks", "--out", str(tanks_csv)]) == 0
    [round_row] = list(csv.DictReader(rounds_csv.open(encoding="utf-8")))
    assert (round_row["status"], round_row["think_tanks"], round_row["people"]) == (
        "confirmed",
        "2",
        "6",
    )
    members = list(csv.DictReader(tanks_csv.open(encoding="utf-8")))
    assert len(members) == 6 and {row["think_tank"] for row in members} == {"1", "2"}
    assert all(row["member"].startswith("'=person") for row in members)  # formula-safe


def test_cli_constants_match_the_domain() -> None:
    from bot.commands import import_ideas
    from models import IdeaKind
    from services import importing

    assert tuple(kind.value for kind in IdeaKind) == import_ideas.KINDS
    assert import_ideas.IMPORT_TEAM == importing.IMPORT_TEAM


def test_the_cli_starts_without_the_database_stack() -> None:
    """match-csv and --help must not pay for SQLAlchemy, Alembic and Bolt at start-up."""
    import subprocess
    import sys

    probe = "import sys, bot.cli; print(sorted(m for m in ('sqlalchemy', 'alembic', 'slack_bolt') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
