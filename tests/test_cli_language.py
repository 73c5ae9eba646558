"""The facilitators' CLI commands answer in the workspace's language.

``import ideas`` and ``match-csv`` answer in COLLIDER_DEFAULT_LANGUAGE (fi here), and so do
``report programme`` (unless ``--language`` says otherwise), ``export`` and ``export-polls``,
errors included."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from bot.cli import main
from tests.test_import_export import cli_env  # noqa: F401 - the fixture


def printed_by(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with contextlib.suppress(SystemExit):
        main(argv)
    captured = capsys.readouterr()
    return captured.out + captured.err


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fi", "Anna --from ja --to muodossa YYYY-MM-DD"), ("sv", "Ange --from och --to som YYYY")],
)
def test_report_date_error_is_in_the_language_the_option_names(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    language: str,
    expected: str,
) -> None:
    argv = ["report", "programme", "--language", language, "--from", "2026-05-01"]
    out = printed_by([*argv, "--to", "2026-01-01", "--out", str(cli_env / "r")], capsys)
    assert expected in out, out


def test_report_without_a_workspace_says_so_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = printed_by(["report", "programme", "--out", str(cli_env / "r")], capsys)
    assert "Tietokannassa ei ole vielä työtilaa" in out and "--team" in out, out


def test_export_summary_is_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = printed_by(["export", "ideas", "--out", str(cli_env / "ideas.csv")], capsys)
    assert "Vietiin 0 ideaa tiedostoon" in out, out


def test_export_write_error_is_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = cli_env / "no" / "ideas.csv"
    out = printed_by(["export", "ideas", "--out", str(path)], capsys)
    assert f"Kohteeseen {path} ei voitu kirjoittaa" in out, out


def test_export_polls_summary_and_write_error_are_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = printed_by(["export-polls", "--out", str(cli_env / "polls.csv")], capsys)
    assert "0 vastausta kirjoitettiin tiedostoon" in out, out
    out = printed_by(["export-polls", "--out", str(cli_env / "no" / "polls.csv")], capsys)
    assert "ei voitu kirjoittaa" in out, out
