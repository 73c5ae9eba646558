"""Block Kit for data rights: the forget-me confirmation and its outcomes."""

from __future__ import annotations

from typing import Any

from handlers import ids
from handlers.blocks import message, plain, section
from i18n import t


def forget_me_prompt(language: str) -> dict[str, Any]:
    confirm_button = {
        "type": "button",
        "text": plain(t("privacy.forget_button", language)),
        "action_id": ids.FORGET_ME_CONFIRM,
        "value": "forget",
        "style": "danger",
        "confirm": {
            "title": plain(t("privacy.forget_confirm_title", language), 100),
            "text": plain(t("privacy.forget_confirm_text", language), 300),
            "confirm": plain(t("privacy.forget_button", language), 30),
            "deny": plain(t("common.cancel", language), 30),
            "style": "danger",
        },
    }
    cancel_button = {
        "type": "button",
        "text": plain(t("common.cancel", language)),
        "action_id": ids.FORGET_ME_CANCEL,
        "value": "cancel",
    }
    text = t("privacy.forget_intro", language)
    blocks = [
        section(text),
        {"type": "actions", "block_id": "forget_me", "elements": [confirm_button, cancel_button]},
    ]
    return message(blocks, text)
