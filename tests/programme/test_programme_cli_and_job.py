"""The programme from the command line (``collider report programme``, ``collider export
experiments``) and the hourly job that asks for results, run by the real scheduler service."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.local.slack import TEAM_ID, LocalSlack
from bot.settings import Settings
from handlers import programme_blocks as views
from models import Decision, Experiment, Idea, Participant
from models.base import utcnow
from models.db import Database
from scheduler.specs import EXPERIMENT_RESULTS_EVERY
from services import participants
from tests.polls.world import leading_scheduler
from tests.scheduler.conftest import eventually


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("COLLIDER_DEFAULT_LANGUAGE", "fi")
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path


def experiment_of(database: Database, user_id: str, *, ends_on: date, **card: object) -> int:
    """A filled card of an idea by ``user_id``, ending on ``ends_on``."""
    with database.session() as session:
        author = participants.ensure_participant(session, participants.SlackUser(TEAM_ID, user_id))
        session.flush()
        idea = Idea(author_id=author.id, kind="idea", title="Tool library", body="Tool library")
        session.add(idea)
        session.flush()
        experiment = Experiment(
            team_id=TEAM_ID,
            idea_id=idea.id,
            title="Tool library",
            hypothesis="People borrow tools",
            measure="Loans per week",
            starts_on=ends_on - timedelta(days=30),
            ends_on=ends_on,
            created_by_id=author.id,
            filled_at=utcnow(),
            **card,
        )
        session.add(experiment)
        session.flush()
        return experiment.id


def test_report_programme_writes_its_charts_and_a_csv_per_table(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    today = date.today()
    experiment_of(
        database,
        "UAINO",
        ends_on=today,
        decision=Decision.PILOT,
        result_at=utcnow(),
        result_happened="45 loans",
    )
    out = cli_env / "report"
    since, until = (today - timedelta(days=60)).isoformat(), today.isoformat()
    assert main(["report", "programme", "--from", since, "--to", until, "--out", str(out)]) == 0
    assert "Kirjoitettiin" in capsys.readouterr().out
    charts = sorted(path.name for path in out.glob("*.png"))
    assert "programme.png" in charts and len(charts) > 1
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in out.glob("*.png"))
    with (out / "experiments.csv").open(encoding="utf-8") as table:
        rows = list(csv.reader(table))
    header, values = rows
    assert dict(zip(header, values, strict=True))["started"] == "1"
    assert dict(zip(header, values, strict=True))["pilot"] == "1"
    with (out / "ideas.csv").open(encoding="utf-8") as table:
        assert ["idea", "1"] in list(csv.reader(table))


def test_report_programme_refuses_bad_dates_and_names_the_fix(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(cli_env / "report")
    assert (
        main(["report", "programme", "--from", "2026-05-01", "--to", "2026-01-01", "--out", out])
        == 2
    )
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert not Path(out).exists()


@pytest.mark.parametrize(
    "period",
    [
        ["--to", "9999-12-31"],
        ["--from", "2026-01-01", "--to", "9999-12-31"],
        ["--to", "0001-01-05"],
    ],
)
def test_report_programme_to_the_ends_of_the_calendar_is_written(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str], period: list[str]
) -> None:
    """9999-12-31 ("until further notice") has no next day, and 0001-01-05 no year before it."""
    experiment_of(database, "UAINO", ends_on=date.today(), decision=Decision.PILOT)
    out = cli_env / "report"
    assert main(["report", "programme", *period, "--out", str(out)]) == 0
    assert "Kirjoitettiin" in capsys.readouterr().out  # the workspace default, Finnish
    assert (out / "programme.png").read_bytes().startswith(b"\x89PNG")


def test_export_experiments_is_spreadsheet_safe(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment_of(database, "UAINO", ends_on=date.today(), who="=HYPERLINK(1)")
    out = cli_env / "experiments.csv"
    assert main(["export", "experiments", "--out", str(out), "--team", TEAM_ID]) == 0
    assert "Vietiin 1 kokeilu tiedostoon" in capsys.readouterr().out
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["title"] == "Tool library" and row["measure"] == "Loans per week"
    assert row["who"] == "'=HYPERLINK(1)"
    assert main(["export", "experiments", "--out", str(out), "--team", "T0OTHER"]) == 0
    assert "Vietiin 0 kokeilua" in capsys.readouterr().out


def test_the_scheduler_asks_the_owners_for_the_result_on_the_end_date(
    database: Database, settings: Settings, slack: LocalSlack
) -> None:
    slack.add_user("UAINO", "aino")
    experiment_id = experiment_of(database, "UAINO", ends_on=date.today())
    experiment_of(database, "UBEN", ends_on=date.today() + timedelta(days=3))  # not yet
    with leading_scheduler(database, settings) as service:
        job = service.scheduler.get_job("collider:experiments:results")
        assert job.func_ref == "scheduler.jobs:ask_experiment_results"
        assert job.trigger.interval == EXPERIMENT_RESULTS_EVERY

        def requests() -> list[dict]:
            return [
                call
                for call in slack.calls_to("chat.postMessage")
                if views.RESULT_OPEN in json.dumps(call)
            ]

        # The job runs as the leader starts: the owner of the card that ended today is asked.
        assert eventually(lambda: len(requests()) == 1, timeout=10)
        [request] = requests()
        assert request["channel"] == slack.dm_channel("UAINO")
        assert "Loans per week" in json.dumps(request)
        with database.session() as session:
            assert session.get(Experiment, experiment_id).result_asked_at is not None
            ben = session.scalar(select(Participant.id).where(Participant.user_id == "UBEN"))
            assert (
                session.scalar(
                    select(Experiment.result_asked_at).where(Experiment.created_by_id == ben)
                )
                is None
            )
        # Running it again (the next hour, or a second process) asks nobody twice.
        job.modify(next_run_time=utcnow())
        assert not eventually(lambda: len(requests()) > 1, timeout=1)
