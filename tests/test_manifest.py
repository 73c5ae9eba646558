"""manifest.yml and the code must declare the same commands, shortcuts and events."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from bot.commands import manifest_drift as drift
from bot.commands.manifest_drift import registered
from tests.slack_driver import SlackDriver


def manifest() -> dict[str, Any]:
    return drift.load_manifest()


def declared_commands() -> set[str]:
    return drift.declared_commands(manifest())


def declared_shortcuts() -> set[str]:
    return drift.declared_shortcuts(manifest())


def declared_events() -> set[str]:
    return drift.declared_events(manifest())


def test_every_registered_command_is_declared_and_vice_versa() -> None:
    assert registered("command") == declared_commands()


def test_every_registered_shortcut_is_declared_and_vice_versa() -> None:
    assert registered("shortcut") == declared_shortcuts()


def test_every_registered_event_is_declared_and_vice_versa() -> None:
    assert registered("event") == declared_events()


def test_home_tab_matches_the_home_listener() -> None:
    home = manifest()["features"]["app_home"]["home_tab_enabled"]
    assert home == ("app_home_opened" in registered("event"))


def test_every_declared_command_is_answered_by_the_app(driver: SlackDriver) -> None:
    for command in declared_commands():
        response = driver.command(command, "help" if command == "/collider" else "")
        assert response.status == 200, command


def test_every_declared_shortcut_is_answered_by_the_app(driver: SlackDriver) -> None:
    for callback_id in declared_shortcuts():
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": driver.new_trigger(),
            "user": {"id": "U001", "team_id": "T0LOCAL", "name": "u001"},
            "team": {"id": "T0LOCAL"},
            "channel": {"id": "C001", "name": "general"},
            "message": {"type": "message", "user": "U002", "ts": "1.0", "text": "hello"},
            "response_url": driver.slack.response_url("shortcut"),
        }
        response = driver.send(urlencode({"payload": json.dumps(payload)}))
        assert response.status == 200, callback_id


def test_scopes_cover_the_web_api_methods_the_code_calls() -> None:
    missing = set(drift.scopes_needed_by_code()) - drift.declared_scopes(manifest())
    assert not missing, drift.scopes_needed_by_code()


def test_the_code_calls_the_methods_whose_scopes_it_asks_for() -> None:
    # The source scan finds calls: if it found none, the check above would pass for nothing.
    needed = drift.scopes_needed_by_code()
    assert {"chat:write", "im:write", "groups:write", "files:write"} <= set(needed)
    # Imported authors are looked up by e-mail, and someone joining is matched to them.
    assert needed["users:read.email"] == {"users.lookupByEmail"}
    assert "the team_join event" in needed["users:read"]


def test_a_writable_messages_tab_is_answered() -> None:
    # People write to an app whose Messages tab takes input; unanswered, their words vanish.
    home = manifest()["features"]["app_home"]
    writable = home.get("messages_tab_enabled") and not home.get("messages_tab_read_only_enabled")
    if writable:
        assert "message.im" in declared_events() and "message.im" in registered("event")
