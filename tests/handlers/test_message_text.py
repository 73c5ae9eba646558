"""The notification text (top-level ``text``) of every message: escaped user text, cut to
Slack's 3,000 characters the way blocks are cut, never in the middle of an entity."""

from __future__ import annotations

import re

from handlers.blocks import message, section
from handlers.mrkdwn import escape

ENTITY_CUT = re.compile(r"&[a-z]{0,3}…$")


def test_a_long_notification_text_is_never_cut_inside_an_entity() -> None:
    # Every cut point from 2,990 to 3,000 lands on each position of "&lt;" at least once.
    for padding in range(2990, 3001):
        escaped = escape("x" * padding + "<" * 20)
        text = message([section("hi")], escaped)["text"]
        assert len(text) <= 3000
        assert text.endswith("…")
        assert not ENTITY_CUT.search(text), text[-12:]


def test_a_short_notification_text_is_kept_whole() -> None:
    escaped = escape("<!channel> & friends")
    assert message([section("hi")], escaped)["text"] == escaped
