"""Block Kit as terminal text: messages and modals the way a person would read them in Slack.

Pure functions: a message or view (as the app sent it) in, text and the numbered things one can
press or fill out. Mentions become ``@name``, links ``label (url)``, entities plain characters.
The renderer's own words ("(optional)", "[image: …]") are ``console.*`` keys, in the language
of the person reading.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from i18n import t

INDENT = "  "
_TOKEN = re.compile(r"<([^<>]*)>")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}
OPTION_TYPES = ("static_select", "radio_buttons", "external_select")
MULTI_OPTION_TYPES = ("checkboxes", "multi_static_select")


@dataclass(frozen=True)
class Button:
    """A button the person can press: what to send back, and where it was shown."""

    number: int
    text: str
    action_id: str
    value: str
    block_id: str
    confirm: dict[str, Any] | None = None
    url: str | None = None


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: list[Button] = field(default_factory=list)


@dataclass(frozen=True)
class Option:
    text: str
    value: str
    description: str = ""


@dataclass(frozen=True)
class Input:
    """One input block of a modal, numbered from 1 in the order shown."""

    number: int
    block_id: str
    action_id: str
    kind: str
    label: str
    optional: bool
    hint: str = ""
    placeholder: str = ""
    multiline: bool = False
    max_length: int | None = None
    options: list[Option] = field(default_factory=list)
    initial: str | list[str] | None = None

    @property
    def chooses(self) -> bool:
        return self.kind in OPTION_TYPES or self.kind in MULTI_OPTION_TYPES

    @property
    def chooses_several(self) -> bool:
        return self.kind in MULTI_OPTION_TYPES


def readable(text: str, users: Mapping[str, str] | None = None) -> str:
    """Slack's mrkdwn markup as a person reads it: ``<@U1>`` → ``@name``, ``&lt;`` → ``<``."""
    names = users or {}

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or names.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return "@" + (label or target.removeprefix("!subteam^"))
        if target.startswith("!"):
            word = target[1:].split("^")[0]
            return label or _SPECIAL.get(word, "@" + word)
        if label and label != target:
            return f"{label} ({target})"
        return target

    # Markup first: after escaping, a real "<" or ">" is only ever written as an entity.
    text = _TOKEN.sub(token, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_object(obj: Any, users: Mapping[str, str] | None = None) -> str:
    """A text object (plain_text or mrkdwn) or a bare string as readable text."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    value = str(obj.get("text") or "")
    return readable(value, users) if obj.get("type") == "mrkdwn" else value


def _words(key: str, language: str, **params: Any) -> str:
    return t(f"console.{key}", language, **params)


def _indent(text: str, prefix: str = INDENT) -> str:
    return textwrap.indent(text, prefix, lambda line: True)


def _rich_text(element: Any, users: Mapping[str, str]) -> str:
    if isinstance(element, list):
        return "".join(_rich_text(item, users) for item in element)
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "user":
        return "@" + users.get(str(element.get("user_id")), str(element.get("user_id")))
    if kind == "link":
        return str(element.get("text") or element.get("url") or "")
    if kind == "emoji":
        return f":{element.get('name')}:"
    inner = _rich_text(element.get("elements") or [], users)
    if kind == "rich_text_list":
        items = [_rich_text(item, users) for item in element.get("elements") or []]
        return "\n".join("• " + item for item in items) + "\n"
    if kind == "rich_text_quote":
        return _indent(inner, "> ")
    return inner


class _Numbering:
    def __init__(self, first: int):
        self.next = first
        self.buttons: list[Button] = []

    def button(self, element: dict[str, Any], block_id: str, users: Mapping[str, str]) -> str:
        number = self.next
        self.next += 1
        text = text_object(element.get("text"), users)
        self.buttons.append(
            Button(
                number=number,
                text=text,
                action_id=str(element.get("action_id") or ""),
                value=str(element.get("value") or ""),
                block_id=block_id,
                confirm=element.get("confirm"),
                url=element.get("url"),
            )
        )
        return f"[{number}] {text}"


def _element(
    element: dict[str, Any], block_id: str, numbering: _Numbering, users: Any, language: str
) -> str:
    kind = element.get("type")
    if kind == "button":
        return numbering.button(element, block_id, users)
    if kind == "image":
        return _words("image", language, title=element.get("alt_text", ""))
    if kind in ("mrkdwn", "plain_text"):
        return text_object(element, users)
    placeholder = text_object(element.get("placeholder"), users)
    return f"[{kind}{': ' + placeholder if placeholder else ''}]"


def _block(
    block: dict[str, Any], numbering: _Numbering, users: Mapping[str, str], language: str
) -> str:
    kind = block.get("type")
    block_id = str(block.get("block_id") or "")
    if kind == "divider":
        return "-" * 40
    if kind == "header":
        title = text_object(block.get("text"), users)
        return f"{title}\n{'=' * min(len(title), 60)}"
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(text_object(block["text"], users))
        for item in block.get("fields") or []:
            parts.append(text_object(item, users))
        accessory = block.get("accessory")
        if accessory:
            parts.append(_element(accessory, block_id, numbering, users, language))
        return "\n".join(parts)
    if kind == "context":
        elements = [
            _element(e, block_id, numbering, users, language) for e in block.get("elements") or []
        ]
        return _indent("  ".join(elements), "  ")
    if kind == "actions":
        elements = [
            _element(e, block_id, numbering, users, language) for e in block.get("elements") or []
        ]
        return "  ".join(elements)
    if kind == "image":
        # The title names the picture; the alt text (often the same figures again) stands in
        # only when there is none.
        title = text_object(block.get("title"), users) if block.get("title") else ""
        return _words("image", language, title=title or block.get("alt_text", ""))
    if kind == "rich_text":
        return _rich_text(block.get("elements") or [], users).rstrip("\n")
    if kind == "input":
        return text_object(block.get("label"), users)
    return _words("unknown_block", language, kind=kind)


def render_message(
    message: Mapping[str, Any],
    users: Mapping[str, str] | None = None,
    *,
    language: str,
    first_button: int = 1,
) -> Rendered:
    """A message's blocks as text (its notification text when it has none), buttons numbered."""
    names = users or {}
    numbering = _Numbering(first_button)
    blocks = message.get("blocks") or []
    if isinstance(blocks, list) and blocks:
        text = "\n".join(_block(block, numbering, names, language) for block in blocks)
    else:
        text = readable(str(message.get("text") or ""), names)
    return Rendered(text=text, buttons=numbering.buttons)


def _options(element: dict[str, Any], offered: Sequence[Option] = ()) -> list[Option]:
    """The options of a select; for an external select, those the app offered so far (and the
    initial one), since its options load as the person types."""
    if element.get("type") == "external_select":
        initial = element.get("initial_option")
        first = [_option(initial)] if isinstance(initial, dict) else []
        return [*first, *(o for o in offered if o not in first)]
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found.extend(group.get("options") or [])
    return [_option(option) for option in found]


def _option(option: dict[str, Any]) -> Option:
    return Option(
        text=text_object(option.get("text")),
        value=str(option.get("value")),
        description=text_object(option.get("description")),
    )


def offered_options(options: Sequence[dict[str, Any]]) -> list[Option]:
    """What an app answered to a ``block_suggestion``, as options a person picks from."""
    return [_option(option) for option in options]


def _initial(element: dict[str, Any]) -> str | list[str] | None:
    if element.get("initial_option"):
        return str(element["initial_option"].get("value"))
    if element.get("initial_options"):
        return [str(option.get("value")) for option in element["initial_options"]]
    for key in ("initial_value", "initial_date", "initial_time"):
        if element.get(key):
            return str(element[key])
    return None


def modal_inputs(
    view: Mapping[str, Any], offered: Mapping[str, Sequence[Option]] | None = None
) -> list[Input]:
    """The view's input blocks, numbered from 1 (``offered``: what external selects loaded)."""
    offered = offered or {}
    inputs: list[Input] = []
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        inputs.append(
            Input(
                number=len(inputs) + 1,
                block_id=str(block.get("block_id")),
                action_id=str(element.get("action_id")),
                kind=str(element.get("type")),
                label=text_object(block.get("label")),
                optional=bool(block.get("optional")),
                hint=text_object(block.get("hint")),
                placeholder=text_object(element.get("placeholder")),
                multiline=bool(element.get("multiline")),
                max_length=element.get("max_length"),
                options=_options(element, offered.get(str(block.get("block_id")), ())),
                initial=_initial(element),
            )
        )
    return inputs


def is_empty(value: Any) -> bool:
    """No value at all: what Slack would send for a field left blank."""
    return value is None or value == "" or value == []


def describe_value(field_: Input, value: str | list[str] | None, *, language: str) -> str:
    """The current value of an input as a person reads it."""
    if value is None or is_empty(value):  # None spelled out for the type checker
        return _words("empty", language)
    if field_.chooses:
        chosen = value if isinstance(value, list) else [value]
        names = {option.value: option.text for option in field_.options}
        return ", ".join(names.get(v, v) for v in chosen)
    text = str(value)
    return text if text.strip() else _words("only_spaces", language, count=len(text))


def render_input(
    field_: Input,
    value: str | list[str] | None,
    error: str | None = None,
    *,
    language: str,
) -> str:
    """One numbered input: label, hint, options (the chosen marked), value, error."""
    label = f"({field_.number}) {field_.label}"
    lines = [f"{label} {_words('optional', language)}" if field_.optional else label]
    if field_.hint:
        lines.append(_indent(field_.hint, "    "))
    if field_.kind == "external_select":
        lines.append("    " + _words("search_hint", language))
    if field_.chooses:
        chosen = value if isinstance(value, list) else [value]
        for index, option in enumerate(field_.options, 1):
            mark = "x" if option.value in chosen else " "
            extra = f" - {option.description}" if option.description else ""
            lines.append(f"    [{mark}] {index}. {option.text}{extra}")
    else:
        if is_empty(value) and field_.placeholder:
            shown = _words("empty_example", language, example=field_.placeholder)
        else:
            shown = describe_value(field_, value, language=language)
        lines.append(_indent(shown, "    = ") if "\n" not in shown else _indent(shown, "    | "))
    if error:
        lines.append(f"    ! {error}")
    return "\n".join(lines)


def render_modal(
    view: Mapping[str, Any],
    values: Mapping[str, str | list[str] | None],
    errors: Mapping[str, str] | None = None,
    users: Mapping[str, str] | None = None,
    *,
    language: str,
    first_button: int = 1,
    offered: Mapping[str, Sequence[Option]] | None = None,
) -> Rendered:
    """A modal: its title, its blocks in order with inputs numbered, and its own buttons."""
    names = users or {}
    problems = errors or {}
    numbering = _Numbering(first_button)
    inputs = {field_.block_id: field_ for field_ in modal_inputs(view, offered)}
    title = text_object(view.get("title"), names)
    parts = [f"+-- {title} " + "-" * max(4, 36 - len(title))]
    for block in view.get("blocks") or []:
        field_ = inputs.get(str(block.get("block_id")))
        if block.get("type") == "input" and field_ is not None:
            parts.append(
                render_input(
                    field_,
                    values.get(field_.block_id),
                    problems.get(field_.block_id),
                    language=language,
                )
            )
        else:
            parts.append(_block(block, numbering, names, language))
    actions = []
    if view.get("submit"):
        actions.append(f"submit = {text_object(view['submit'], names)}")
    if view.get("close"):
        actions.append(f"cancel = {text_object(view['close'], names)}")
    parts.append("+-- " + "   ".join(actions) if actions else "+--")
    return Rendered(text="\n".join(parts), buttons=numbering.buttons)
