"""Only the gateway calls Slack's sending methods: every message, file and DM goes through
``services.delivery`` to ``bot/slack_gateway.py``, where retry, pacing and typed errors live.

An AST walk (not a grep): comments and strings that name a method do not count, and a call
split over lines does.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("bot", "handlers", "services", "scheduler", "models", "matching")
# Web API methods that send or open conversations, as slack_sdk spells them, and its generic call.
SENDING = re.compile(r"^(chat_|files_|conversations_|api_call$)")
GATEWAY = "bot/slack_gateway.py"
# Developer tools: the local Slack and the console talk to Slack as a client would.
DEVELOPER_TOOLS = "bot/local/"


def sending_calls(path: Path) -> list[str]:
    """``file:line method`` for each call of a sending method in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = path.relative_to(ROOT).as_posix()
    return [
        f"{name}:{node.lineno} {node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and SENDING.match(node.func.attr)
    ]


def bypasses() -> list[str]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name == GATEWAY or name.startswith(DEVELOPER_TOOLS):
                continue
            found += sending_calls(path)
    return found


def test_only_the_gateway_calls_slacks_sending_methods() -> None:
    assert bypasses() == []


def test_the_walk_sees_the_gateways_own_calls() -> None:
    # Else the test above would pass on a walk that finds nothing.
    assert any("files_upload_v2" in call for call in sending_calls(ROOT / GATEWAY))
