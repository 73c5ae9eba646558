"""Forget-me finds a person's outbox rows by whose DM they went to and in which workspace,
which ``deliver`` records from ``Recipient.user_id`` and ``Recipient.team_id``: a message to
someone's DM by its channel alone, or a send claimed with ``once`` directly, would slip past it
(each of those must be a shared conversation); one without its workspace would be found by
forget-me in none (on an Enterprise Grid one user id is a member of several workspaces)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (file, channel expression) of every Recipient without a user, and why it is no one's DM.
SHARED_CONVERSATIONS = {
    ("services/programme_workflow.py", "post.channel"): "a charter, in the think tank's channel",
    ("services/programme_workflow.py", "tank.conversation_id"): "the think tank's conversation",
    ("services/programme_workflow.py", "outcome.channel"): "a file beside a report just sent",
    ("services/poll_workflow.py", "outcome.channel"): "a file beside a report just sent",
    ("services/round_runner.py", "channel"): "a think tank's intro, in its conversation",
}
# Files that claim sends with ``once`` directly, and why none goes to a person's DM.
DIRECT_CLAIMS = {"services/programme_home.py": "the home tab's chart: uploaded to no channel"}


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted([*ROOT.glob("services/*.py"), *ROOT.glob("handlers/*.py")]):
        if path.name == "delivery.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                found.append((str(path.relative_to(ROOT)), node))
    return found


def test_every_message_to_a_dm_names_its_person() -> None:
    unnamed, unworkspaced = set(), set()
    for path, call in _calls("Recipient"):
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        if "user_id" in keywords or len(call.args) > 1:
            if "team_id" not in keywords and len(call.args) < 3:
                unworkspaced.add((path, call.lineno))
            continue
        channel = keywords.get("channel", call.args[0] if call.args else None)
        unnamed.add((path, ast.unparse(channel) if channel is not None else ""))
    assert unnamed - set(SHARED_CONVERSATIONS) == set(), (
        "a Recipient without user_id: forget-me would not find it if it is someone's DM"
    )
    assert unworkspaced == set(), "a DM without team_id: forget-me would find it in no workspace"


def test_sends_are_claimed_by_deliver() -> None:
    direct = {path for path, _ in _calls("once")}
    assert direct - set(DIRECT_CLAIMS) == set(), "once() records no recipient: use deliver()"
