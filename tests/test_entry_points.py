"""Every entry point takes its configuration from one settings object, and only from it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers", "services", "models", "scheduler", "matching", "i18n")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory of its own (for ``.env``), a fresh database, and the root level restored."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'entry.sqlite3'}")
    for name in ("COLLIDER_LOG_LEVEL", "COLLIDER_DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    level = root.level
    yield tmp_path
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.NOTSET)


@pytest.mark.parametrize("level", ["DEBUG", "WARNING", "ERROR"])
def test_the_log_level_from_settings_reaches_the_root_logger(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    monkeypatch.setenv("COLLIDER_LOG_LEVEL", level)
    assert main(["db", "upgrade"]) == 0
    assert logging.getLogger().level == logging.getLevelNamesMapping()[level]
    assert logging.getLogger("collider.bolt").getEffectiveLevel() == logging.getLevelName(level)


def test_the_log_level_in_dot_env_counts_too_and_verbose_wins(workdir: Path) -> None:
    (workdir / ".env").write_text("COLLIDER_LOG_LEVEL=ERROR\n", encoding="utf-8")
    assert main(["db", "upgrade"]) == 0
    assert logging.getLogger().level == logging.ERROR
    assert main(["--verbose", "db", "upgrade"]) == 0
    assert logging.getLogger().level == logging.DEBUG


def test_a_bad_log_level_stops_every_command_with_its_name(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLLIDER_LOG_LEVEL", "LOUD")
    assert main(["db", "upgrade"]) == 2
    assert "COLLIDER_LOG_LEVEL" in capsys.readouterr().err


def test_match_csv_speaks_the_language_of_the_settings(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Set in .env, which os.environ never sees: only the settings object knows it.
    (workdir / ".env").write_text("COLLIDER_DEFAULT_LANGUAGE=fi\n", encoding="utf-8")
    assert main(["match-csv", str(workdir / "missing.csv"), "--out", "out.csv"]) == 1
    assert "tiedostoa" in capsys.readouterr().err


def test_only_the_settings_read_the_environment() -> None:
    reads = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(|from os import[^\n]*environ")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in SOURCE_DIRS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "bot" / "settings.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if reads.search(line)
    ]
    assert offenders == []
