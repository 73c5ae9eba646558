from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.settings import SettingsError, settings_from_mapping
from models.db import Database
from models.sends import claim
from scheduler.runtime import build_scheduler
from scheduler.specs import JobSpec, reconcile


def test_the_scheduler_setting_is_on_unless_turned_off() -> None:
    assert settings_from_mapping({}).scheduler is True
    assert settings_from_mapping({"COLLIDER_SCHEDULER": "OFF"}).scheduler is False
    with pytest.raises(SettingsError, match="COLLIDER_SCHEDULER must be on or off"):
        settings_from_mapping({"COLLIDER_SCHEDULER": "sometimes"})


@pytest.fixture
def environment(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)


def test_list_shows_stored_jobs_and_sends_cut_off_mid_way(
    database: Database, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    at = datetime(2040, 5, 4, 9, tzinfo=UTC)
    scheduler = build_scheduler(database)
    scheduler.start(paused=True)
    reconcile(scheduler, [JobSpec.once("collider:poll:3", "scheduler.jobs:send_poll", at, (3,))])
    scheduler.shutdown(wait=False)
    with database.session() as session:
        claim(session, "poll:2", holder="host:42", now=datetime.now(UTC) - timedelta(hours=1))

    assert main(["scheduler", "--list"]) == 0
    out = capsys.readouterr().out
    assert "collider:poll:3  next 2040-05-04T09:00:00+00:00" in out
    assert "scheduler.jobs:send_poll(3,)" in out
    assert "1 send(s) cut off mid-way" in out and "poll:2  claimed by host:42" in out


def test_running_the_scheduler_alone_needs_a_bot_token(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scheduler"]) == 2
    assert "SLACK_BOT_TOKEN is required" in capsys.readouterr().err


def test_bot_processes_start_the_scheduler_unless_it_is_off(database: Database) -> None:
    from dataclasses import replace

    from bot.scheduling import start_scheduler
    from bot.settings import Settings

    settings = Settings(database_url=database.url, slack_bot_token="xoxb-test")
    assert start_scheduler(replace(settings, scheduler=False), database) is None
    service = start_scheduler(settings, database)
    assert service is not None
    try:
        assert service.wait_until_leader(3)
        assert service.context.outbound is not None
        gateway = service.context.sender().gateway
        assert gateway.client.token == "xoxb-test"  # type: ignore[attr-defined]
    finally:
        service.stop()
