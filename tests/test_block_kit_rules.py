"""Block Kit rules beyond lengths and counts, which real Slack enforces by refusing the whole
view or message, and the local Slack's check therefore too.

Each case is documented on docs.slack.dev (modal views, header block, button element, input
block, option object, static select). A validator that accepts them lets a broken form pass
every test and fail for everyone in a real workspace."""

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


# What Slack accepts must stay accepted: the rules above are no wider than the docs.
def test_a_form_that_follows_every_rule_is_accepted() -> None:
    groups = [{"label": plain("Group"), "options": [option("One", "1"), option("Two", "2")]}]
    grouped = {"type": "static_select", "action_id": "value", "option_groups": groups}
    blocks = [
        {"type": "header", "text": plain("Form")},
        {**text_input_block(), "block_id": "grouped", "element": {
            **grouped, "initial_option": option("Two", "2"),
        }},
        {**text_input_block(), "block_id": "radio", "element": {
            "type": "radio_buttons",
            "action_id": "value",
            "options": [{"text": mrkdwn("*Yes*"), "value": "y"}],
            "initial_option": {"text": mrkdwn("*Yes*"), "value": "y"},
        }},
        {**text_input_block(), "block_id": "search", "element": {
            "type": "external_select",
            "action_id": "value",
            "initial_option": option("Loaded as the person types", "42"),
        }},
        {**text_input_block(), "block_id": "many", "element": {
            "type": "multi_static_select",
            "action_id": "value",
            "options": [option("One", "1"), option("Two", "2")],
            "initial_options": [option("Two", "2")],
        }},
    ]  # fmt: skip
    assert view_problems(modal(blocks, submit=plain("Save"), close=plain("Cancel"))) == []


def test_a_home_tab_needs_no_submit_button() -> None:
    assert view_problems({"type": "home", "blocks": [text_input_block()]}) == []


@pytest.mark.parametrize("button", ["submit", "close"])
def test_a_modal_button_in_mrkdwn_is_refused(button: str) -> None:
    buttons = {"submit": plain("Save"), "close": plain("Cancel"), button: mrkdwn("*Go*")}
    view = modal([text_input_block()], **buttons)
    assert view_problems(view)


def test_a_menu_option_in_mrkdwn_is_refused() -> None:
    select = {
        "type": "static_select",
        "action_id": "value",
        "options": [{"text": mrkdwn("*One*"), "value": "1"}],
    }
    assert view_problems(modal([{**text_input_block(), "element": select}], submit=plain("Save")))


def test_initial_options_not_among_a_multi_selects_options_are_refused() -> None:
    select = {
        "type": "multi_static_select",
        "action_id": "value",
        "options": [option("One", "1")],
        "initial_options": [option("One", "1"), option("One", "2")],
    }
    problems = view_problems(modal([{**text_input_block(), "element": select}], submit=plain("S")))
    assert problems == [
        "view.blocks[0].element.initial_options[1]: not one of the element's options"
    ]
