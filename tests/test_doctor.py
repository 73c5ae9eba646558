"""``collider doctor`` against the local Slack and a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.commands.doctor import Finding, diagnose
from bot.local.slack import MANIFEST_SCOPES, LocalSlack
from bot.settings import Settings
from models.db import Database

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-doctor"
KEY = "k" * 32


def settings_for(slack: LocalSlack, database_url: str, **extra: object) -> Settings:
    return Settings(
        database_url=database_url,
        slack_bot_token=TOKEN,
        slack_api_url=slack.api_url,
        answer_key=KEY,
        **extra,  # type: ignore[arg-type]
    )


def failures(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if not finding.ok]


def test_a_clean_installation_passes(database: Database) -> None:
    with LocalSlack(token=TOKEN) as slack:
        findings = diagnose(settings_for(slack, database.url))
    assert failures(findings) == []
    assert {f.check for f in findings} == {
        "slack auth.test",
        "slack scopes",
        "manifest",
        "database",
        "answer key",
        "answer key changes",
    }


def test_the_manifest_scopes_are_what_the_local_token_holds() -> None:
    # The local Slack's default token stands for an app installed from manifest.yml.
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert set(MANIFEST_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])


def test_a_missing_scope_is_named_with_its_fix(database: Database) -> None:
    scopes = tuple(scope for scope in MANIFEST_SCOPES if scope != "groups:write")
    with LocalSlack(token=TOKEN, scopes=scopes) as slack:
        [finding] = failures(diagnose(settings_for(slack, database.url)))
    assert finding.check == "slack scopes"
    assert "lacks the scope groups:write" in finding.detail
    assert "conversations.create" in finding.detail
    assert "add groups:write" in finding.fix and "Reinstall to Workspace" in finding.fix


def test_a_wrong_token_says_where_to_find_the_right_one(database: Database) -> None:
    with LocalSlack(token="xoxb-the-real-one") as slack:
        findings = failures(diagnose(settings_for(slack, database.url)))
    [finding] = findings
    assert finding.detail == "Slack refused the token (invalid_auth)"
    assert "Bot User OAuth Token" in finding.fix and "SLACK_BOT_TOKEN" in finding.fix


def test_unmigrated_database_and_missing_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    with LocalSlack(token=TOKEN) as slack:
        settings = Settings(database_url=url, slack_bot_token=TOKEN, slack_api_url=slack.api_url)
        database, key = failures(diagnose(settings))
    assert database.check == "database" and "no revision (empty)" in database.detail
    assert database.fix == "run `collider db upgrade` (safe to repeat)"
    assert key.check == "answer key" and "openssl rand -hex 32" in key.fix


def test_manifest_drift_is_reported(tmp_path: Path, database: Database) -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    manifest["features"]["slash_commands"].append({"command": "/ghost", "description": "x"})
    manifest["features"]["app_home"]["messages_tab_read_only_enabled"] = False
    path = tmp_path / "manifest.yml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    with LocalSlack(token=TOKEN) as slack:
        found = failures(diagnose(settings_for(slack, database.url), path))
    details = [f.detail for f in found]
    assert any("declares the slash command /ghost" in d for d in details), details
    assert any("Messages tab takes messages" in d for d in details), details


def test_the_cli_exits_1_and_prints_each_fix(tmp_path: Path) -> None:
    with LocalSlack(token=TOKEN, scopes=("commands",)) as slack:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.api_url,
        }
        env.pop("COLLIDER_ANSWER_KEY", None)
        result = subprocess.run(
            [sys.executable, "-m", "bot", "doctor"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    assert "[FAIL] slack scopes: the token lacks the scope chat:write" in result.stdout
    assert "fix: add chat:write" in result.stdout
    assert "[ok  ] slack auth.test" in result.stdout
    assert "problem(s) to fix." in result.stdout
    assert TOKEN not in result.stdout + result.stderr
