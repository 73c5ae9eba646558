"""Block Kit limits: the pure checks, and the local Slack refusing (and recording) what real
Slack would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.local import block_kit_limits as limits
from bot.local import escaping
from bot.local.slack import LocalSlack


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def option(text: str, value: str = "v") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def button(text: str, action_id: str = "a", value: str = "") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def select(count: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "theme",
        "options": [option(f"Theme {n}", str(n)) for n in range(count)],
    }


def modal(blocks: list[dict[str, Any]], title: str = "Share an idea", **extra: Any):
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks,
        **extra,
    }


def test_a_message_at_every_limit_passes() -> None:
    message = {
        "text": "x" * 40_000,
        "blocks": [section("s" * 3000, block_id=f"b{n}") for n in range(49)]
        + [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}],
    }
    assert limits.message_problems(message) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"blocks": [section("s")] * 51}, "blocks: 51 > 50"),
        ({"text": "x" * 40_001}, "text: 40001 characters > 40000"),
        ({"blocks": [section("s" * 3001)]}, "blocks[0].text: 3001 characters > 3000"),
        ({"blocks": [section("")]}, "blocks[0].text: empty"),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            "blocks[0].text: 151 characters > 150",
        ),
        (
            {"blocks": [{"type": "actions", "elements": [button("b" * 76)]}]},
            "blocks[0].elements[0].text: 76 characters > 75 (button text)",
        ),
        (
            {"blocks": [{"type": "actions", "elements": [button("ok", "a" * 256)]}]},
            "blocks[0].elements[0].action_id: 256 characters > 255",
        ),
        ({"blocks": [section("s", block_id="b" * 256)]}, "blocks[0].block_id: 256 characters"),
        (
            {"blocks": [section("a", block_id="same"), section("b", block_id="same")]},
            "block_id 'same' is used more than once",
        ),
    ],
)
def test_a_message_over_a_limit_names_where_and_which(
    message: dict[str, Any], expected: str
) -> None:
    problems = limits.message_problems(message)
    assert any(expected in problem for problem in problems), problems


def test_a_static_select_takes_at_most_100_options() -> None:
    assert limits.view_problems(modal([section("pick", accessory=select(100))])) == []
    [problem] = limits.view_problems(modal([section("pick", accessory=select(101))]))
    assert problem == "view.blocks[0].accessory.options: 101 > 100 (options)"


def test_option_text_and_value_limits() -> None:
    field = {
        "type": "input",
        "label": {"type": "plain_text", "text": "Theme"},
        "element": {
            "type": "static_select",
            "action_id": "t",
            "options": [option("o" * 76, "v" * 151)],
        },
    }
    problems = limits.view_problems(modal([field]))
    assert "view.blocks[0].element.options[0].text: 76 characters > 75 (option text)" in problems
    assert (
        "view.blocks[0].element.options[0].value: 151 characters > 150 (option value)" in problems
    )


def test_modal_limits() -> None:
    assert limits.view_problems(modal([section("s")] * 100)) == []
    problems = limits.view_problems(
        modal([section("s")] * 101, title="t" * 25, private_metadata="m" * 3001)
    )
    assert "view.blocks: 101 > 100 (blocks)" in problems
    assert "view.title: 25 characters > 24 (modal title)" in problems
    assert "view.private_metadata: 3001 characters > 3000 (private_metadata)" in problems


def test_the_home_tab_has_no_title_but_the_same_block_limit() -> None:
    home = {"type": "home", "blocks": [section("s")] * 101}
    assert limits.view_problems(home) == ["view.blocks: 101 > 100 (blocks)"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("collider-r7-tank-2", None),
        ("ok_name_2", None),
        ("a" * 80, None),
        ("a" * 81, "invalid_name_maxlength"),
        ("Capital", "invalid_name_specials"),
        ("with space", "invalid_name_specials"),
        ("ääkköset", "invalid_name_specials"),
        ("", "invalid_name_required"),
    ],
)
def test_channel_names(name: str, error: str | None) -> None:
    assert limits.channel_name_error(name) == error


def test_acks_are_checked_by_their_kind() -> None:
    too_many = {"response_action": "update", "view": modal([section("s")] * 101)}
    assert limits.ack_problems(too_many) == ["view.blocks: 101 > 100 (blocks)"]
    assert limits.ack_problems({"options": [option("o")] * 101}) == ["options: 101 > 100 (options)"]
    assert limits.ack_problems({"response_action": "errors", "errors": {"b": "bad"}}) == []


def test_option_groups_are_held_to_their_limits() -> None:
    label = {"type": "plain_text", "text": "x" * 76}
    answer = {"option_groups": [{"label": label, "options": [option("o")] * 101}]}
    assert limits.ack_problems(answer) == [
        "option_groups[0].label: 76 characters > 75 (option group label)",
        "option_groups: 101 > 100 (options in all groups)",
        "option_groups[*]: 101 > 100 (options)",
    ]


def test_escaped_text_in_plain_text_is_flagged_and_mrkdwn_is_not() -> None:
    """plain_text is shown as typed: an entity there reaches the reader as ``&amp;``."""
    header = {"type": "header", "text": {"type": "plain_text", "text": "Report: a &amp; b"}}
    escaped_option = {"options": [option("x &lt;c&gt;")]}
    fine = {
        "blocks": [
            section("a &amp; b &lt;c&gt;"),
            {**header, "text": {"type": "plain_text", "text": "a & b <c>"}},
        ]
    }
    assert escaping.escaped_plain_text(fine) == []
    assert len(escaping.escaped_plain_text({"blocks": [header]})) == 1
    assert len(escaping.escaped_plain_text(escaped_option)) == 2
    view = {"view": modal([section("s")], title="Q&amp;A")}
    assert "Q&amp;A" in escaping.escaped_plain_text(view)[0]
    with LocalSlack(token="xoxb-t") as slack:
        client = WebClient(token="xoxb-t", base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="t", blocks=[header])  # Slack would post it
        [violation] = slack.violations
        assert "escaped text in plain_text" in str(violation)


def test_local_slack_refuses_and_records_what_slack_would_refuse() -> None:
    with LocalSlack(token="xoxb-t") as slack:
        client = WebClient(token="xoxb-t", base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="fine", blocks=[section("fine")])
        with pytest.raises(SlackApiError) as refused:
            client.views_open(
                trigger_id="1.2", view=modal([section("pick", accessory=select(101))])
            )
        assert refused.value.response["error"] == "invalid_blocks"
        with pytest.raises(SlackApiError) as bad_name:
            client.conversations_create(name="Think Tank 1", is_private=True)
        assert bad_name.value.response["error"] == "invalid_name_specials"
        assert [v.method for v in slack.violations] == ["views.open", "conversations.create"]
        assert "101 > 100" in str(slack.violations[0])


def test_local_slack_refuses_a_response_url_post_over_the_limit() -> None:
    import urllib.error
    import urllib.request

    with LocalSlack() as slack:
        body = b'{"blocks": [' + b",".join([b'{"type": "divider"}'] * 51) + b"]}"
        request = urllib.request.Request(
            slack.response_url("x"), body, {"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 400
        [violation] = slack.violations
        assert violation.method == "response_url" and "51 > 50" in str(violation)


def test_every_answer_carries_the_tokens_scopes() -> None:
    with LocalSlack(token="xoxb-t", scopes=("chat:write", "commands")) as slack:
        response = WebClient(token="xoxb-t", base_url=slack.api_url).auth_test()
        assert response.headers["x-oauth-scopes"] == "chat:write,commands"


def image(**fields: Any) -> dict[str, Any]:
    return {"type": "image", "alt_text": "Ideas: 3", **fields}


def test_an_image_block_at_its_limits_passes() -> None:
    home = {
        "type": "home",
        "blocks": [
            image(
                slack_file={"id": "F00000001"},
                alt_text="a" * 2000,
                title={"type": "plain_text", "text": "t" * 2000},
            ),
            image(slack_file={"url": "https://files.slack.com/files-pri/T1-F1/chart.png"}),
            image(image_url="https://example.org/" + "u" * 2980),
        ],
    }
    assert limits.view_problems(home) == []


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (image(slack_file={"id": "F00000001"}, alt_text="a" * 2001), "2001 characters > 2000"),
        (image(slack_file={"id": "F00000001"}, alt_text=""), "alt_text: empty"),
        (
            image(slack_file={"id": "F00000001"}, title={"type": "plain_text", "text": "t" * 2001}),
            "title: 2001 characters > 2000 (image title)",
        ),
        (
            image(slack_file={"id": "F00000001"}, title={"type": "mrkdwn", "text": "*t*"}),
            "an image title must be plain_text",
        ),
        (image(), "give exactly one of image_url and slack_file"),
        (
            image(image_url="https://example.org/a.png", slack_file={"id": "F00000001"}),
            "give exactly one of image_url and slack_file",
        ),
        (image(slack_file={"id": "F00000001", "url": "https://x"}), "exactly one of id and url"),
        (image(slack_file={"id": "chart.png"}), "slack_file.id: 'chart.png' is not a file id"),
        (image(image_url="https://example.org/" + "u" * 3000), "(image url)"),
    ],
)
def test_an_image_block_over_a_limit_names_where_and_which(
    block: dict[str, Any], expected: str
) -> None:
    problems = limits.view_problems({"type": "home", "blocks": [block]})
    assert any(expected in problem for problem in problems), problems


def test_local_slack_shows_only_images_it_holds() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    with LocalSlack(token="xoxb-t") as slack:
        client = WebClient(token="xoxb-t", base_url=slack.api_url)
        uploaded = client.files_upload_v2(file=png, filename="chart.png", title="Chart")
        file_id = uploaded["file"]["id"]
        text = client.files_upload_v2(file=b"plain words", filename="notes.txt", title="Notes")
        assert slack.files[file_id].channels == ()  # shared nowhere: private to the app
        home = {"type": "home", "blocks": [image(slack_file={"id": file_id})]}
        client.views_publish(user_id="U1", view=home)
        for missing in ("F99999999", text["file"]["id"]):
            with pytest.raises(SlackApiError) as refused:
                client.views_publish(
                    user_id="U1",
                    view={"type": "home", "blocks": [image(slack_file={"id": missing})]},
                )
            assert refused.value.response["error"] == "invalid_blocks"
        assert [v.method for v in slack.violations] == ["views.publish", "views.publish"]
        assert "invalid slack file" in str(slack.violations[0])


def test_local_slack_deletes_files_as_slack_documents_it() -> None:
    # files.delete: {"ok": true}; then file_deleted for that file, file_not_found for one it
    # never had; a deleted image can no longer be shown.
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    with LocalSlack(token="xoxb-t") as slack:
        client = WebClient(token="xoxb-t", base_url=slack.api_url)
        file_id = client.files_upload_v2(file=png, filename="chart.png", title="Chart")["file"][
            "id"
        ]
        assert client.files_delete(file=file_id)["ok"] is True
        assert file_id not in slack.files and slack.deleted_files == {file_id}
        for gone, error in ((file_id, "file_deleted"), ("F99999999", "file_not_found")):
            with pytest.raises(SlackApiError) as refused:
                client.files_delete(file=gone)
            assert refused.value.response["error"] == error
        with pytest.raises(SlackApiError):
            client.views_publish(
                user_id="U1", view={"type": "home", "blocks": [image(slack_file={"id": file_id})]}
            )
        slack.violations.clear()  # expected: the publish of the deleted image was refused
