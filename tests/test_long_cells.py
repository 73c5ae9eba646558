"""CSV cells longer than Python's csv field limit (131,072 characters).

Decidim proposal bodies with an image pasted in (a ``data:`` URL) and Forms answers with a
document pasted in reach that size. ``import ideas`` and ``match-csv`` read such cells up to
``MAX_CELL`` characters; a longer one refuses the file with a message in the workspace's
language naming the row, and nothing is imported or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.local.slack import TEAM_ID
from matching.csv_text import MAX_CELL
from models.db import Database
from tests.test_import_export import cli_env, ideas_in  # noqa: F401 - cli_env is a fixture

LONG = "pyöräkatos " * 20_000  # 220,000 characters: over Python's default limit
TOO_LONG = "a" * (MAX_CELL + 1)


def people(first_text: str) -> str:
    rows = "\n".join(f"{n},pyöräily ja puistot {n}" for n in range(2, 8))
    return f"id,text\n1,{first_text}\n{rows}\n"


def import_proposals(folder: Path, body: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``import ideas`` printed for proposals whose second has ``body``, after its code."""
    path = folder / "proposals.csv"
    path.write_text(f"title,body\nPuisto,Lisää penkkejä\nPyöräkatos,{body}\nKatu,Valoja\n")
    code = main(["import", "ideas", str(path), "--team", TEAM_ID])
    printed = capsys.readouterr()
    return f"{code}\n{printed.out}{printed.err}"


@pytest.mark.parametrize(
    ("body", "said", "bodies"),
    [
        # Over Python's default limit: read, and the body kept whole.
        (LONG, ["0", "Tuotiin 3"], [14, len(LONG.strip()), 6]),
        # Over the ceiling: the row is named, in Finnish, and no row is imported.
        (TOO_LONG, ["2", "Mitään ei tuotu:", "rivillä 3", str(MAX_CELL)], []),
    ],
    ids=["long", "too-long"],
)
def test_import_reads_long_cells_and_refuses_the_file_for_one_over_the_ceiling(
    cli_env: Path,  # noqa: F811
    database: Database,
    capsys: pytest.CaptureFixture[str],
    body: str,
    said: list[str],
    bodies: list[int],
) -> None:
    printed = import_proposals(cli_env, body, capsys)
    assert printed.split("\n", 1)[0] == said[0] and all(s in printed for s in said[1:]), printed
    assert [len(idea.body) for idea in ideas_in(database)] == bodies


def match_people(folder: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``match-csv`` printed for people whose first has ``text``, after its exit code."""
    source = folder / "people.csv"
    source.write_text(people(text))
    code = main(["match-csv", str(source), "--out", str(folder / "groups.csv")])
    printed = capsys.readouterr()
    return f"{code}\n{printed.out}{printed.err}"


@pytest.mark.parametrize(
    ("text", "said", "written"),
    [
        (LONG, ["0", "7 henkilöä"], True),
        (TOO_LONG, ["1", "rivillä 2", "merkkiä"], False),  # the groups file is not written
    ],
    ids=["long", "too-long"],
)
def test_match_csv_reads_long_cells_and_refuses_the_file_for_one_over_the_ceiling(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    text: str,
    said: list[str],
    written: bool,
) -> None:
    printed = match_people(cli_env, text, capsys)
    assert printed.split("\n", 1)[0] == said[0] and all(s in printed for s in said[1:]), printed
    groups = cli_env / "groups.csv"
    assert groups.exists() == written
    assert not written or text.strip() in groups.read_text(encoding="utf-8")


def test_an_unclosed_quote_that_swallows_the_file_names_the_row_where_it_opens(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = cli_env / "people.csv"
    rest = "\n".join(f"{n},puisto {n}" for n in range(3, 100_000))
    path.write_text(f'id,text\n1,pyöräily\n2,"lainaus alkaa\n{rest}\n')
    assert main(["match-csv", str(path), "--out", str(cli_env / "groups.csv")]) == 1
    assert "rivillä 3" in capsys.readouterr().err
