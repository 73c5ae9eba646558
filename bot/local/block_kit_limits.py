"""Slack's documented Block Kit limits, checked on every payload the local Slack receives.

Real Slack refuses a whole message or view when one part breaks a limit (``invalid_blocks``,
``invalid_arguments``): 101 options in a static select, and the ``/idea`` form opens for nobody.
The local Slack answers the same way, and records the problem so a test fails even when the app
swallows the error (see ``LocalSlack.violations``).

Pure functions: a payload in, a list of problems out (empty when Slack would accept it). Each
problem names where it is (``blocks[3].accessory.text``) and which limit it breaks.
Sources: docs.slack.dev Block Kit reference pages (blocks, block elements, composition objects,
views) and ``slack_sdk.models`` (the same numbers, enforced by its ``@JsonValidator``s).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTION_DESCRIPTION = 75
MAX_SELECT_OPTIONS = 100
MAX_OPTION_GROUPS = 100
MAX_OPTION_GROUP_LABEL = 75
MAX_CHOICE_OPTIONS = 10  # checkboxes, radio buttons
MAX_OVERFLOW_OPTIONS = 5
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_ID = 255  # action_id, block_id, callback_id, external_id
MAX_LABEL = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_INPUT_LENGTH = 3000
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_CHANNEL_NAME = 80
MAX_ALT_TEXT = 2000
MAX_IMAGE_TITLE = 2000
# What Slack answers for a slack_file id of another shape ("input must match regex pattern").
SLACK_FILE_ID = re.compile(r"^F[A-Z0-9]{8,}$")
CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")

SELECTS = ("static_select", "multi_static_select")
CHOICES = ("checkboxes", "radio_buttons")
# Menus show their options as plain text; radio buttons and checkboxes may use mrkdwn.
PLAIN_OPTION_ELEMENTS = (*SELECTS, "overflow")

Problems = list[str]


def _text(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return str(obj.get("text") or "")
    return "" if obj is None else str(obj)


def _length(problems: Problems, where: str, value: Any, limit: int, what: str) -> None:
    size = len(_text(value))
    if size > limit:
        problems.append(f"{where}: {size} characters > {limit} ({what})")


def _required_text(problems: Problems, where: str, value: Any, limit: int, what: str) -> None:
    if not _text(value).strip():
        problems.append(f"{where}: empty ({what} must have text)")
    _length(problems, where, value, limit, what)


def _plain(problems: Problems, where: str, value: Any, what: str) -> None:
    """Slack refuses mrkdwn where only a ``plain_text`` object is allowed (titles, headers,
    button texts, labels, menu options)."""
    if isinstance(value, Mapping) and value.get("type") != "plain_text":
        problems.append(f"{where}: {what} must be plain_text, not {value.get('type')!r}")


def _count(problems: Problems, where: str, items: Any, limit: int, what: str) -> None:
    size = len(items or [])
    if size > limit:
        problems.append(f"{where}: {size} > {limit} ({what})")


def _identifier(problems: Problems, where: str, value: Any, what: str) -> None:
    if value is not None and len(str(value)) > MAX_ID:
        problems.append(f"{where}: {len(str(value))} characters > {MAX_ID} ({what})")


def _confirm(problems: Problems, where: str, confirm: Any) -> None:
    if not isinstance(confirm, Mapping):
        return
    _length(problems, f"{where}.title", confirm.get("title"), MAX_CONFIRM_TITLE, "confirm title")
    _length(problems, f"{where}.text", confirm.get("text"), MAX_CONFIRM_TEXT, "confirm text")
    for key in ("confirm", "deny"):
        _length(problems, f"{where}.{key}", confirm.get(key), MAX_CONFIRM_BUTTON, "confirm button")


def _option(problems: Problems, where: str, option: Any, *, plain: bool = False) -> None:
    if not isinstance(option, Mapping):
        problems.append(f"{where}: not an option object")
        return
    _required_text(problems, f"{where}.text", option.get("text"), MAX_OPTION_TEXT, "option text")
    if plain:
        _plain(problems, f"{where}.text", option.get("text"), "a menu's option text")
    _length(problems, f"{where}.value", option.get("value"), MAX_OPTION_VALUE, "option value")
    _length(
        problems,
        f"{where}.description",
        option.get("description"),
        MAX_OPTION_DESCRIPTION,
        "option description",
    )


def options_problems(
    options: Any, where: str = "options", limit: int = MAX_SELECT_OPTIONS, *, plain: bool = True
) -> Problems:
    """An options list (a select's, or a ``block_suggestion`` answer's, which fills a menu:
    ``plain`` text only)."""
    problems: Problems = []
    _count(problems, where, options, limit, "options")
    for index, option in enumerate(options or []):
        _option(problems, f"{where}[{index}]", option, plain=plain)
    return problems


def _image_source(problems: Problems, where: str, image: Mapping[str, Any]) -> None:
    """An image block's or element's source: exactly one of ``image_url`` and ``slack_file``,
    and a slack_file names its file by exactly one of ``id`` and ``url``."""
    url, slack_file = image.get("image_url"), image.get("slack_file")
    if (url is None) == (slack_file is None):
        problems.append(f"{where}: give exactly one of image_url and slack_file")
    _length(problems, f"{where}.image_url", url, MAX_URL, "image url")
    if slack_file is None:
        return
    if not isinstance(slack_file, Mapping) or ("id" in slack_file) == ("url" in slack_file):
        problems.append(f"{where}.slack_file: give exactly one of id and url")
        return
    file_id = slack_file.get("id")
    if file_id is not None and not SLACK_FILE_ID.match(str(file_id)):
        problems.append(f"{where}.slack_file.id: {file_id!r} is not a file id")
    _length(problems, f"{where}.slack_file.url", slack_file.get("url"), MAX_URL, "file url")


def _image(problems: Problems, where: str, image: Mapping[str, Any]) -> None:
    _required_text(problems, f"{where}.alt_text", image.get("alt_text"), MAX_ALT_TEXT, "alt_text")
    _image_source(problems, where, image)


def slack_file_ids(payload: Any) -> list[str]:
    """Every file an image in ``payload`` (blocks, a view, a message) refers to by id."""
    found: list[str] = []
    if isinstance(payload, Mapping):
        slack_file = payload.get("slack_file")
        if payload.get("type") == "image" and isinstance(slack_file, Mapping):
            found += [str(slack_file["id"])] if slack_file.get("id") else []
        for value in payload.values():
            found += slack_file_ids(value)
    elif isinstance(payload, list):
        for item in payload:
            found += slack_file_ids(item)
    return found


def option_groups_problems(groups: Any, where: str = "") -> Problems:
    """Option groups (a select's, or a ``block_suggestion`` answer's): at most 100 groups with
    at most 100 options in all, each group labelled in at most 75 characters."""
    problems: Problems = []
    groups = list(groups or [])
    _count(problems, f"{where}option_groups", groups, MAX_OPTION_GROUPS, "option groups")
    for index, group in enumerate(groups):
        label = group.get("label") if isinstance(group, Mapping) else None
        _required_text(
            problems,
            f"{where}option_groups[{index}].label",
            label,
            MAX_OPTION_GROUP_LABEL,
            "option group label",
        )
    grouped = [o for g in groups if isinstance(g, Mapping) for o in g.get("options") or []]
    _count(problems, f"{where}option_groups", grouped, MAX_SELECT_OPTIONS, "options in all groups")
    problems.extend(options_problems(grouped, f"{where}option_groups[*]", MAX_SELECT_OPTIONS))
    return problems


def _option_key(option: Any) -> tuple[str, str] | None:
    if not isinstance(option, Mapping):
        return None
    return str(option.get("value")), _text(option.get("text"))


def _static_select(problems: Problems, where: str, element: Mapping[str, Any]) -> None:
    """A static menu needs options (or option groups), and what it starts with must be one of
    them ("exactly matches"): compared by value and text, so a stale value or a changed label
    is refused, while fields such as ``emoji`` are not compared."""
    groups = element.get("option_groups") or []
    offered = list(element.get("options") or [])
    offered += [o for g in groups if isinstance(g, Mapping) for o in g.get("options") or []]
    if not element.get("options") and not groups:
        problems.append(f"{where}: a {element.get('type')} needs options or option_groups")
    keys = {_option_key(option) for option in offered}
    initial = [("initial_option", element["initial_option"])] if "initial_option" in element else []
    initial += [
        (f"initial_options[{index}]", option)
        for index, option in enumerate(element.get("initial_options") or [])
    ]
    for name, option in initial:
        if _option_key(option) not in keys:
            problems.append(f"{where}.{name}: not one of the element's options")


def _element(problems: Problems, where: str, element: Any) -> None:
    if not isinstance(element, Mapping):
        return
    kind = element.get("type")
    if kind == "image":
        _image(problems, where, element)
        return
    _identifier(problems, f"{where}.action_id", element.get("action_id"), "action_id")
    _length(
        problems, f"{where}.placeholder", element.get("placeholder"), MAX_PLACEHOLDER, "placeholder"
    )
    _confirm(problems, f"{where}.confirm", element.get("confirm"))
    if kind == "button":
        _required_text(
            problems, f"{where}.text", element.get("text"), MAX_BUTTON_TEXT, "button text"
        )
        _plain(problems, f"{where}.text", element.get("text"), "button text")
        _length(problems, f"{where}.value", element.get("value"), MAX_BUTTON_VALUE, "button value")
        _length(problems, f"{where}.url", element.get("url"), MAX_URL, "button url")
    elif kind in SELECTS or kind in CHOICES or kind == "overflow":
        limit = {"overflow": MAX_OVERFLOW_OPTIONS}.get(str(kind), MAX_SELECT_OPTIONS)
        if kind in CHOICES:
            limit = MAX_CHOICE_OPTIONS
        plain = kind in PLAIN_OPTION_ELEMENTS
        options = element.get("options")
        problems.extend(options_problems(options, f"{where}.options", limit, plain=plain))
        if element.get("option_groups"):
            problems.extend(option_groups_problems(element["option_groups"], f"{where}."))
        if kind in SELECTS:
            _static_select(problems, where, element)
    elif kind == "plain_text_input":
        maximum = element.get("max_length")
        if maximum is not None and int(maximum) > MAX_INPUT_LENGTH:
            problems.append(f"{where}.max_length: {maximum} > {MAX_INPUT_LENGTH}")
        _length(
            problems,
            f"{where}.initial_value",
            element.get("initial_value"),
            MAX_INPUT_LENGTH,
            "input value",
        )


def _block(problems: Problems, where: str, block: Any) -> None:
    if not isinstance(block, Mapping):
        problems.append(f"{where}: not a block object")
        return
    kind = block.get("type")
    _identifier(problems, f"{where}.block_id", block.get("block_id"), "block_id")
    if kind == "section":
        if block.get("text") is None and not block.get("fields"):
            problems.append(f"{where}: a section needs text or fields")
        if block.get("text") is not None:
            _required_text(
                problems, f"{where}.text", block.get("text"), MAX_SECTION_TEXT, "section text"
            )
        fields = block.get("fields") or []
        _count(problems, f"{where}.fields", fields, MAX_SECTION_FIELDS, "section fields")
        for index, item in enumerate(fields):
            _required_text(problems, f"{where}.fields[{index}]", item, MAX_FIELD_TEXT, "field text")
        _element(problems, f"{where}.accessory", block.get("accessory"))
    elif kind == "header":
        _required_text(problems, f"{where}.text", block.get("text"), MAX_HEADER_TEXT, "header text")
        _plain(problems, f"{where}.text", block.get("text"), "header text")
    elif kind in ("context", "actions"):
        elements = block.get("elements") or []
        limit = MAX_CONTEXT_ELEMENTS if kind == "context" else MAX_ACTIONS_ELEMENTS
        _count(problems, f"{where}.elements", elements, limit, f"{kind} elements")
        for index, element in enumerate(elements):
            _element(problems, f"{where}.elements[{index}]", element)
    elif kind == "image":
        _image(problems, where, block)
        title = block.get("title")
        if title is not None and (
            not isinstance(title, Mapping) or title.get("type") != "plain_text"
        ):
            problems.append(f"{where}.title: an image title must be plain_text")
        _length(problems, f"{where}.title", title, MAX_IMAGE_TITLE, "image title")
    elif kind == "input":
        _required_text(problems, f"{where}.label", block.get("label"), MAX_LABEL, "input label")
        _plain(problems, f"{where}.label", block.get("label"), "input label")
        _length(problems, f"{where}.hint", block.get("hint"), MAX_LABEL, "input hint")
        _plain(problems, f"{where}.hint", block.get("hint"), "input hint")
        _element(problems, f"{where}.element", block.get("element"))


def blocks_problems(blocks: Any, limit: int, where: str = "blocks") -> Problems:
    problems: Problems = []
    if blocks is None:
        return problems
    if not isinstance(blocks, list):
        return [f"{where}: not a list"]
    _count(problems, where, blocks, limit, "blocks")
    for index, block in enumerate(blocks):
        _block(problems, f"{where}[{index}]", block)
    block_ids = [str(b["block_id"]) for b in blocks if isinstance(b, Mapping) and b.get("block_id")]
    for block_id in sorted({b for b in block_ids if block_ids.count(b) > 1}):
        problems.append(f"{where}: block_id {block_id!r} is used more than once")
    return problems


def message_problems(message: Mapping[str, Any]) -> Problems:
    """A message (chat.postMessage/update/postEphemeral, a response_url post, an ack)."""
    problems = blocks_problems(message.get("blocks"), MAX_MESSAGE_BLOCKS)
    _length(problems, "text", message.get("text"), MAX_MESSAGE_TEXT, "message text")
    return problems


def view_problems(view: Any) -> Problems:
    """A modal or App Home view (views.open/update/push/publish, a response_action view)."""
    if not isinstance(view, Mapping):
        return ["view: not a view object"]
    problems = blocks_problems(view.get("blocks"), MAX_VIEW_BLOCKS, "view.blocks")
    _identifier(problems, "view.callback_id", view.get("callback_id"), "callback_id")
    _identifier(problems, "view.external_id", view.get("external_id"), "external_id")
    _length(
        problems,
        "view.private_metadata",
        view.get("private_metadata"),
        MAX_PRIVATE_METADATA,
        "private_metadata",
    )
    if view.get("type") == "modal":
        _modal(problems, view)
    return problems


def _modal(problems: Problems, view: Mapping[str, Any]) -> None:
    _required_text(problems, "view.title", view.get("title"), MAX_MODAL_TITLE, "modal title")
    _plain(problems, "view.title", view.get("title"), "modal title")
    for key in ("submit", "close"):
        _length(problems, f"view.{key}", view.get(key), MAX_MODAL_BUTTON, f"modal {key}")
        _plain(problems, f"view.{key}", view.get(key), f"modal {key}")
    blocks = view.get("blocks")
    blocks = blocks if isinstance(blocks, list) else []
    if view.get("submit") is None and any(
        isinstance(block, Mapping) and block.get("type") == "input" for block in blocks
    ):
        problems.append("view.submit: a modal with an input block needs a submit button")


def channel_name_error(name: str) -> str | None:
    """Slack's error code for a channel name it refuses (``conversations.create``), or None."""
    if not name:
        return "invalid_name_required"
    if len(name) > MAX_CHANNEL_NAME:
        return "invalid_name_maxlength"
    if not CHANNEL_NAME.match(name):
        return "invalid_name_specials"
    return None


def ack_problems(answer: Mapping[str, Any]) -> Problems:
    """What a listener acked with: a message, a ``response_action`` view, or options."""
    if answer.get("response_action") in ("update", "push"):
        return view_problems(answer.get("view"))
    if "option_groups" in answer:
        return option_groups_problems(answer["option_groups"])
    if "options" in answer:
        return options_problems(answer["options"])
    if "blocks" in answer or "text" in answer:
        return message_problems(answer)
    return []
