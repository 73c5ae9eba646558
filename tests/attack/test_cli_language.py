"""Attack: the CLI's messages in the workspace's language.

``collider import ideas`` and ``match-csv`` answer in COLLIDER_DEFAULT_LANGUAGE (fi here);
``report programme`` (which even takes ``--language``), ``export`` and ``export-polls`` print
English only, errors included."""

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


def test_report_date_error_is_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["report", "programme", "--language", "fi", "--from", "2026-13-01"]
    out = printed_by([*argv, "--out", str(cli_env / "r")], capsys)
    assert "Give --from and --to" not in out, out


def test_export_summary_is_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = printed_by(["export", "ideas", "--out", str(cli_env / "ideas.csv")], capsys)
    assert "Exported" not in out, out


def test_export_write_error_is_in_finnish(
    cli_env: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = printed_by(["export", "ideas", "--out", str(cli_env / "no" / "ideas.csv")], capsys)
    assert "Could not write" not in out, out
