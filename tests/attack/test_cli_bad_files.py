"""Attack: a spreadsheet cell longer than Python's csv field limit (131,072 characters).

Decidim proposal bodies with pasted images (``data:`` URLs) and Forms answers with pasted
documents reach that size. The CLI must say what is wrong with the file, in the workspace's
language, not end in a ``_csv.Error`` traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.local.slack import TEAM_ID
from tests.test_import_export import cli_env  # noqa: F401 - the fixture

HUGE = "a" * 200_000


def test_import_of_a_file_with_a_huge_cell_is_refused_with_a_message(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = cli_env / "proposals.csv"
    path.write_text(f"title,body\nPyöräkatos,{HUGE}\nPuisto,Lisää penkkejä puistoon\n")
    code = main(["import", "ideas", str(path), "--team", TEAM_ID])
    printed = capsys.readouterr()
    assert code != 0 and (printed.out + printed.err).strip()


def test_match_csv_of_a_file_with_a_huge_cell_is_refused_with_a_message(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = cli_env / "people.csv"
    rows = "\n".join(f"{n},pyöräily ja puistot {n}" for n in range(2, 8))
    path.write_text(f"id,text\n1,{HUGE}\n{rows}\n")
    code = main(["match-csv", str(path), "--out", str(cli_env / "groups.csv")])
    printed = capsys.readouterr()
    assert code != 0 and (printed.out + printed.err).strip()
