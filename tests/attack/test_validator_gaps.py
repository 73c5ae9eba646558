"""Attack: payloads real Slack refuses, which the local Slack's Block Kit check accepts.

Each case is documented on docs.slack.dev (modal views, header block, button element, input
block, static select). A validator that accepts them lets a broken form pass every test and
fail for everyone in a real workspace."""

from __future__ import annotations

from typing import Any

import pytest

from bot.local.block_kit_limits import message_problems, view_problems


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def text_input_block() -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "b",
        "label": plain("Title"),
        "element": {"type": "plain_text_input", "action_id": "value"},
    }


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain("Form"), "blocks": blocks, **extra}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


# "submit ... is required when an input block is within the blocks array" (modal views).
def test_a_modal_with_an_input_block_and_no_submit_button_is_refused() -> None:
    assert view_problems(modal([text_input_block()])), "accepted a form nobody can submit"


# "title: Must be a plain_text text element" (modal views).
def test_a_modal_title_in_mrkdwn_is_refused() -> None:
    view = modal([], title=mrkdwn("*Form*"))
    assert view_problems(view)


# Header: "The text for the block, in the form of a plain_text text object."
def test_a_header_in_mrkdwn_is_refused() -> None:
    assert message_problems({"text": "x", "blocks": [{"type": "header", "text": mrkdwn("*x*")}]})


# Button: "text: A text object ... Can only be of type: plain_text."
def test_a_button_text_in_mrkdwn_is_refused() -> None:
    button = {"type": "button", "action_id": "a", "text": mrkdwn("*Go*"), "value": "1"}
    assert message_problems({"text": "x", "blocks": [{"type": "actions", "elements": [button]}]})


# Input block: "label ... a text object that must have type of plain_text."
def test_an_input_label_in_mrkdwn_is_refused() -> None:
    block = {**text_input_block(), "label": mrkdwn("*Title*")}
    assert view_problems(modal([block], submit=plain("Save")))


# Static select: "initial_option: A single option that exactly matches one of the options".
def test_a_select_whose_initial_option_is_not_among_its_options_is_refused() -> None:
    select = {
        "type": "static_select",
        "action_id": "value",
        "options": [option("One", "1"), option("Two", "2")],
        "initial_option": option("Three", "3"),
    }
    block = {**text_input_block(), "element": select}
    assert view_problems(modal([block], submit=plain("Save")))


@pytest.mark.parametrize("kind", ["static_select", "multi_static_select"])
def test_a_static_select_without_options_is_refused(kind: str) -> None:
    # "options ... Either options or option_groups is required for the static and external."
    block = {**text_input_block(), "element": {"type": kind, "action_id": "value"}}
    assert view_problems(modal([block], submit=plain("Save")))
