"""Block Kit as terminal text: pure functions, no app and no database."""

from __future__ import annotations

import pytest

from bot.local.console_render import (
    describe_value,
    modal_inputs,
    readable,
    render_message,
    render_modal,
)
from handlers import blocks, ids
from handlers.mrkdwn import escape

USERS = {"U1": "aino", "U2": "matti"}


@pytest.mark.parametrize(
    ("markup", "shown"),
    [
        ("Hi <@U1>!", "Hi @aino!"),
        ("<@U9> is unknown", "@U9 is unknown"),
        ("<@U1|Aino M> wrote", "@Aino M wrote"),
        ("in <#C1|general>", "in #general"),
        ("<!channel> and <!here>", "@channel and @here"),
        ("<!subteam^S1|designers>", "@designers"),
        ("see <https://example.org|the site>", "see the site (https://example.org)"),
        ("<https://example.org>", "https://example.org"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        # Escaped user text that looks like markup comes out as the person typed it.
        (escape("Hey <!channel> & <@U1>"), "Hey <!channel> & <@U1>"),
        (escape("&lt;"), "&lt;"),
    ],
)
def test_readable(markup: str, shown: str) -> None:
    assert readable(markup, USERS) == shown


def test_message_blocks_in_order_with_numbered_buttons() -> None:
    message = {
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Ideas"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Sauna* by <@U2>"}},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Idea #4"}]},
            {
                "type": "actions",
                "block_id": "idea_actions_4",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Edit"},
                        "action_id": "idea_edit",
                        "value": "4",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Withdraw"},
                        "action_id": "idea_withdraw",
                        "value": "4",
                        "confirm": {"title": {}},
                    },
                ],
            },
        ],
    }
    rendered = render_message(message, USERS, language="en", first_button=3)
    lines = rendered.text.splitlines()
    assert lines[0] == "Ideas" and lines[1] == "====="
    assert lines[2] == "*Sauna* by @matti"
    assert lines[3].startswith("---")
    assert lines[4].strip() == "Idea #4"
    assert lines[5] == "[3] Edit  [4] Withdraw"
    assert [(b.number, b.action_id, b.value, b.block_id) for b in rendered.buttons] == [
        (3, "idea_edit", "4", "idea_actions_4"),
        (4, "idea_withdraw", "4", "idea_actions_4"),
    ]
    assert rendered.buttons[0].confirm is None and rendered.buttons[1].confirm is not None
    assert "fallback" not in rendered.text


def test_message_without_blocks_shows_its_text() -> None:
    rendered = render_message({"text": "Hello <@U1> &amp; all"}, USERS, language="en")
    assert rendered.text == "Hello @aino & all" and rendered.buttons == []


def test_section_accessory_button_is_numbered() -> None:
    message = {
        "blocks": [
            {
                "type": "section",
                "block_id": "b1",
                "text": {"type": "mrkdwn", "text": "Join the think tank?"},
                "accessory": {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Join"},
                    "action_id": "join",
                    "value": "7",
                },
            }
        ]
    }
    rendered = render_message(message, language="en")
    assert rendered.text == "Join the think tank?\n[1] Join"
    assert rendered.buttons[0].block_id == "b1"


def test_idea_modal_inputs_are_numbered_with_labels_and_options() -> None:
    modal = blocks.idea_modal("en")
    inputs = modal_inputs(modal)
    assert [(f.number, f.block_id, f.optional) for f in inputs] == [
        (1, ids.IDEA_FIELDS["kind"], False),
        (2, ids.IDEA_FIELDS["title"], True),
        (3, ids.IDEA_FIELDS["body"], False),
        (4, ids.IDEA_FIELDS["theme"], True),
    ]
    kind, title, body, _ = inputs
    assert kind.chooses and [o.value for o in kind.options] == ["idea", "need"]
    assert kind.initial == "idea"
    assert title.label == "Title" and title.hint.startswith("Optional")
    assert body.multiline and body.max_length == 3000 and not body.chooses
    assert describe_value(kind, "need", language="en") == "Need"
    assert describe_value(body, None, language="en") == "(empty)"


def test_modal_shows_values_choices_and_errors_under_their_fields() -> None:
    modal = blocks.idea_modal("fi")
    values = {ids.IDEA_FIELDS["kind"]: "need", ids.IDEA_FIELDS["body"]: "Rivi 1\nRivi 2"}
    errors = {ids.IDEA_FIELDS["title"]: "Liian pitkä"}
    text = render_modal(modal, values, errors, language="fi").text
    lines = text.splitlines()
    assert lines[0].startswith("+-- Jaa idea")
    assert "    [ ] 1. Idea - " in text and "    [x] 2. Tarve - " in text
    title_at = next(
        i for i, line in enumerate(lines) if line.startswith("(2) Otsikko (valinnainen)")
    )
    assert "    ! Liian pitkä" in lines[title_at + 1 : title_at + 4]
    assert "    | Rivi 1\n    | Rivi 2" in text
    assert lines[-1] == "+-- submit = Tallenna   cancel = Peruuta"


SEARCH_FORM = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Haku"},
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": {"type": "plain_text", "text": "Huomio"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "idea",
            "label": {"type": "plain_text", "text": "Idea"},
            "element": {"type": "external_select", "action_id": "value"},
        },
        {"type": "image", "image_url": "https://example.org/c.png", "alt_text": "Kaavio"},
    ],
}


@pytest.mark.parametrize(
    ("language", "optional", "empty", "search", "image"),
    [
        ("fi", "(valinnainen)", "(tyhjä)", "(hae kirjoittamalla: fill N SANOJA;", "[kuva: Kaavio]"),
        ("sv", "(valfritt)", "(tomt)", "(skriv för att söka: fill N ORD;", "[bild: Kaavio]"),
        ("en", "(optional)", "(empty)", "(type to search: fill N WORDS;", "[image: Kaavio]"),
    ],
)
def test_the_renderers_own_words_are_in_the_readers_language(
    language: str, optional: str, empty: str, search: str, image: str
) -> None:
    text = render_modal(SEARCH_FORM, {"note": "   "}, language=language).text
    assert f"(1) Huomio {optional}" in text
    assert f"    {search}" in text
    assert image in text
    [note, _] = modal_inputs(SEARCH_FORM)
    assert describe_value(note, None, language=language) == empty
    message = render_message({"blocks": SEARCH_FORM["blocks"][2:]}, language=language)
    assert message.text == image


def test_a_value_of_spaces_is_counted_in_the_readers_words() -> None:
    [note, _] = modal_inputs(SEARCH_FORM)
    assert describe_value(note, "   ", language="fi") == "(3 välilyöntiä)"
    assert describe_value(note, " ", language="en") == "(1 space)"
