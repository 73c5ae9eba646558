"""manifest.yml against the code: commands, shortcuts, events and the scopes the code needs.

One implementation for ``tests/test_manifest.py`` (drift fails the suite) and ``collider doctor``
(drift is reported to whoever installs the app). The code side is read from the source of
``handlers/`` (``app.command(...)``, ``app.shortcut(...)``, ``app.event(...)``), so nothing has to
be built or connected to find it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import handlers
from handlers import ids

ROOT = Path(handlers.__file__).resolve().parent.parent
MANIFEST = ROOT / "manifest.yml"
SOURCE_FOLDERS = ("bot", "handlers", "services", "scheduler")

# Web API methods → the bot scopes each needs. The code's calls are found in the source (as
# ``client.chat_postMessage(`` or ``"chat.postMessage"``); a method the code calls whose scope
# the manifest or the token lacks is drift.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "users.info": ("users:read",),
    # Imported authors found in Slack by e-mail; users.info then holds profile.email too.
    "users.lookupByEmail": ("users:read.email",),
    # One person: an IM; two to eight: a group DM.
    "conversations.open": ("im:write", "mpim:write"),
    "files.completeUploadExternal": ("files:write",),
    # The App Home chart a newer one replaced.
    "files.delete": ("files:write",),
    "conversations.create": ("groups:write",),
    "conversations.invite": ("groups:write",),
    "conversations.list": ("groups:read",),
    "conversations.history": ("mpim:history",),
    "conversations.members": ("channels:read",),
    # A think tank's charter is pinned in its conversation.
    "pins.add": ("pins:write",),
}
# Events → the bot scopes Slack requires to deliver them (``team_join``: ``users:read``).
EVENT_SCOPES: dict[str, tuple[str, ...]] = {"team_join": ("users:read",)}
# slack_sdk helpers that call methods of the table under another name.
SDK_HELPERS = {"files_upload_v2": "files.completeUploadExternal"}


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    # Imported here: only doctor reads the manifest, and every other command starts without it.
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


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


def declared_commands(manifest: dict[str, Any]) -> set[str]:
    return {entry["command"] for entry in manifest["features"].get("slash_commands", [])}


def declared_shortcuts(manifest: dict[str, Any]) -> set[str]:
    return {entry["callback_id"] for entry in manifest["features"].get("shortcuts", [])}


def declared_events(manifest: dict[str, Any]) -> set[str]:
    subscriptions = manifest["settings"].get("event_subscriptions") or {}
    return set(subscriptions.get("bot_events", []))


def declared_scopes(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["oauth_config"]["scopes"]["bot"])


def methods_called() -> set[str]:
    """The Web API methods of :data:`METHOD_SCOPES` that the source calls."""
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in SOURCE_FOLDERS
        for path in (ROOT / folder).glob("**/*.py")
        if not {"local", "commands"} & set(path.relative_to(ROOT).parts)
    )
    called = {
        method
        for method in METHOD_SCOPES
        if f'"{method}"' in source or f".{method.replace('.', '_')}(" in source
    }
    return called | {method for helper, method in SDK_HELPERS.items() if f".{helper}(" in source}


def scopes_needed_by_code() -> dict[str, set[str]]:
    """Scope → the methods the code calls, and the events it listens to, that need it."""
    needed: dict[str, set[str]] = {}
    for method in methods_called():
        for scope in METHOD_SCOPES[method]:
            needed.setdefault(scope, set()).add(method)
    for event in registered("event"):
        for scope in EVENT_SCOPES.get(event, ()):
            needed.setdefault(scope, set()).add(f"the {event} event")
    return needed


@dataclass(frozen=True)
class Drift:
    """One kind of listener: what the manifest declares and what the code registers."""

    kind: str
    declared: frozenset[str]
    registered: frozenset[str]

    @property
    def only_in_manifest(self) -> set[str]:
        return set(self.declared - self.registered)

    @property
    def only_in_code(self) -> set[str]:
        return set(self.registered - self.declared)


def drifts(manifest: dict[str, Any]) -> list[Drift]:
    pairs = (
        ("slash commands", declared_commands(manifest), registered("command")),
        ("shortcuts", declared_shortcuts(manifest), registered("shortcut")),
        ("events", declared_events(manifest), registered("event")),
    )
    return [Drift(kind, frozenset(d), frozenset(r)) for kind, d, r in pairs]
