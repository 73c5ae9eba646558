"""``collider scheduler --list`` shows matchmaking set up with ``/collider schedule``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from models.db import Database
from tests.slack_driver import SlackDriver


def test_list_shows_schedules_made_in_slack(
    driver: SlackDriver,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert driver.command("/collider", "schedule every 4 weeks auto", user="UFACIL").status == 200
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)

    assert main(["scheduler", "--list"]) == 0
    out = capsys.readouterr().out
    assert "1 matchmaking schedule(s) made with /collider schedule:" in out
    assert "workspace T0LOCAL  every 4 week(s), confirmed automatically" in out
    assert "set by UFACIL" in out


def test_list_says_when_there_are_none(
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database.url)
    assert main(["scheduler", "--list"]) == 0
    assert "No matchmaking schedules (/collider schedule)." in capsys.readouterr().out
