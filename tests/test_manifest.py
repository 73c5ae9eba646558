"""manifest.yml and the code must declare the same commands, shortcuts and events."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

import handlers
from handlers import ids
from tests.slack_driver import SlackDriver

ROOT = Path(__file__).resolve().parent.parent


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def registered(kind: str) -> set[str]:
    """First arguments of ``app.<kind>(...)`` in handlers/, resolving ``ids.NAME`` constants."""
    found: set[str] = set()
    for path in Path(handlers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != kind or not isinstance(node.func.value, ast.Name):
                continue
            if node.func.value.id != "app" or not node.args:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif (
                isinstance(arg, ast.Attribute)
                and isinstance(arg.value, ast.Name)
                and arg.value.id == "ids"
            ):
                found.add(getattr(ids, arg.attr))
    return found


def declared_commands() -> set[str]:
    return {entry["command"] for entry in manifest()["features"].get("slash_commands", [])}


def declared_shortcuts() -> set[str]:
    return {entry["callback_id"] for entry in manifest()["features"].get("shortcuts", [])}


def declared_events() -> set[str]:
    subscriptions = manifest()["settings"].get("event_subscriptions") or {}
    return set(subscriptions.get("bot_events", []))


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
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    needs = {
        "chat_postMessage": "chat:write",
        "chat_postEphemeral": "chat:write",
        "users_info": "users:read",
        "conversations_open": "im:write",
        "files_upload_v2": "files:write",
        "conversations_create": "groups:write",
        "conversations_invite": "groups:write",
        "conversations_history": "mpim:history",
        "conversations_members": "channels:read",
    }
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT).glob("[bhs]*/**/*.py"))
    for method, scope in needs.items():
        if f".{method}(" in source:
            assert scope in scopes, f"{method} needs the {scope} scope"


def test_a_writable_messages_tab_is_answered() -> None:
    # People write to an app whose Messages tab takes input; unanswered, their words vanish.
    home = manifest()["features"]["app_home"]
    writable = home.get("messages_tab_enabled") and not home.get("messages_tab_read_only_enabled")
    if writable:
        assert "message.im" in declared_events() and "message.im" in registered("event")
