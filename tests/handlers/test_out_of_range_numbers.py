"""Attack: numbers the database cannot hold, typed or crafted.

``/collider stage 99999999999999999999`` (a pasted number, one digit too many) or a crafted
button value reaches ``session.get(Model, int(text))``: SQLite raises ``OverflowError``, and
PostgreSQL a ``DataError`` from 2147483648 on (INTEGER columns). The person is told "something
went wrong on our side" and an ERROR with a traceback is logged, where "no such idea" is right.
And a period ending on 9999-12-31 (a facilitator's "until further notice") overflows ``date``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from handlers import ids
from handlers import programme_blocks as programme
from handlers.blocks import THEME_VALUE
from i18n import t
from tests.slack_driver import SlackDriver, response_json, text_of

HUGE = "99999999999999999999"
# The first number past PostgreSQL's INTEGER: a typo away from a real id.
PAST_INTEGER = "2147483648"
# More digits than int() takes from a string (it raises ValueError of its own past 4300).
ENDLESS = "9" * 5000
GENERIC = t("errors.generic", "en")
BAD_REQUEST = t("errors.bad_request", "en")


def huge_in(key: str) -> str:
    """A button value or form metadata as the bot writes it, with HUGE for its id."""
    return '{"' + key + '": ' + HUGE + "}"


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.getMessage()}: {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"stage {HUGE}",
        f"theme close {HUGE}",
        f"goal remove {HUGE}",
        f"report theme {HUGE}",
        f"report tank {HUGE}",
        f"report round {HUGE}",
    ],
)
def test_a_number_too_big_for_the_database_is_not_found_not_a_failure(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    answer = response_json(driver.command("/collider", text, user="UFACIL"))
    assert GENERIC not in text_of(answer), f"/collider {text}: answered as our failure"
    assert not errors_logged(caplog)


@pytest.mark.parametrize(
    "action_id,value",
    [
        (ids.EDIT_IDEA, HUGE),
        (ids.WITHDRAW_IDEA, HUGE),
        (ids.IDEAS_PAGE, '{"q": "", "p": ' + HUGE + "}"),
        (ids.CLAIM_IDEAS, HUGE),
    ],
)
def test_a_crafted_click_with_a_huge_id_is_a_bad_request_not_a_failure(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture, action_id: str, value: str
) -> None:
    driver.click(action_id, value, user="U001")
    replies = driver.click_replies(1)
    assert GENERIC not in text_of(replies[-1]), f"{action_id}: answered as our failure"
    assert not errors_logged(caplog)


def test_a_programme_report_until_9999_12_31_is_made(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    driver.command("/collider", "report programme 2026-01-01 9999-12-31", user="UFACIL")
    deadline = time.monotonic() + 5
    while not errors_logged(caplog) and time.monotonic() < deadline:
        if driver.slack.calls_to("files.completeUploadExternal"):
            break
        time.sleep(0.05)
    assert not errors_logged(caplog)


@pytest.mark.parametrize("number", [HUGE, PAST_INTEGER, ENDLESS])
@pytest.mark.parametrize(
    "text,key,param",
    [
        ("stage {}", "errors.idea_not_found", None),
        ("stage #{}", "errors.idea_not_found", None),
        ("theme close {}", "themes.not_found", "id"),
        ("goal remove {}", "programme.goal_not_found", "id"),
        ("goal theme {} 1", "themes.not_found", "id"),
        ("report round {}", "polls.no_such_round", "round"),
        ("report tank {}", "polls.no_such_tank", "tank"),
        ("report theme {}", "themes.not_found", "id"),
        ("report {}", "themes.not_found", "id"),
    ],
)
def test_a_typed_number_no_row_can_have_is_answered_as_not_found(
    driver: SlackDriver,
    caplog: pytest.LogCaptureFixture,
    text: str,
    key: str,
    param: str | None,
    number: str,
) -> None:
    command = text.format(number)
    answer = text_of(response_json(driver.command("/collider", command, user="UFACIL")))
    # That object's own "not found", whatever part of the number it repeats.
    expected = t(key, "en", **({param: "\0"} if param else {})).partition("\0")[0]
    assert expected in answer, f"/collider {command[:60]}: {answer!r}"
    assert len(answer) < 300  # not the 5000 digits back
    assert not errors_logged(caplog)


@pytest.mark.parametrize(
    "text,usage",
    [
        ("stage ²", "pipeline.usage"),
        ("theme close ²", "themes.usage"),
        ("goal remove ²", "programme.goal_usage"),
        ("report round ²", "polls.report_usage"),
    ],
)
def test_a_digit_that_is_no_number_gets_the_usage(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture, text: str, usage: str
) -> None:
    """``"²".isdigit()`` is true, and ``int("²")`` a ValueError."""
    answer = text_of(response_json(driver.command("/collider", text, user="UFACIL")))
    assert t(usage, "en")[:30] in answer
    assert not errors_logged(caplog)


def test_an_experiment_filter_by_a_theme_number_past_integer_finds_nothing(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    answer = text_of(response_json(driver.command("/collider", f"experiments {HUGE}")))
    assert GENERIC not in answer
    assert not errors_logged(caplog)


@pytest.mark.parametrize(
    "action_id,value,user",
    [
        (ids.EDIT_IDEA, PAST_INTEGER, "U001"),
        (ids.IDEAS_PAGE, '{"q": "", "p": 1e999}', "U001"),
        (ids.SIMILAR_JOIN, '{"own": ' + HUGE + ', "other": 1}', "U001"),
        (ids.POLL_ANSWER_PREFIX + "q1", '{"p": ' + HUGE + ', "q": "q1", "v": "1"}', "U001"),
        (ids.POLL_WRITE, huge_in("p"), "U001"),
        (ids.REPORT_FILE, '{"k": "round", "v": "' + HUGE + '"}', "UFACIL"),
        (ids.ROUND_CONFIRM, '{"r": ' + HUGE + ', "v": 1}', "UFACIL"),
        (ids.ROUND_DISCARD, '{"r": 1, "v": ' + HUGE + "}", "UFACIL"),
        (ids.ROUND_LOCK, '{"r": ' + HUGE + ', "v": 1, "n": 1, "lock": true}', "UFACIL"),
        (programme.CHARTER_OPEN, HUGE, "U001"),
        (programme.EXPERIMENT_OPEN, HUGE, "U001"),
        (programme.RESULT_OPEN, HUGE, "U001"),
        (programme.EVALUATION_OPEN, HUGE, "U001"),
    ],
)
def test_every_crafted_id_in_a_click_is_a_bad_request(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture, action_id: str, value: str, user: str
) -> None:
    driver.click(action_id, value, user=user)
    replies = driver.click_replies(1)
    assert BAD_REQUEST in text_of(replies[-1]), f"{action_id}: {text_of(replies[-1])}"
    assert not errors_logged(caplog)


def _submit(
    driver: SlackDriver, callback_id: str, metadata: str, user: str, **fields: dict[str, Any]
) -> dict[str, Any]:
    """A form submission as a crafted client sends it: ``fields`` as Slack's state elements."""
    view = {
        "id": "V0CRAFTED",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "team_id": "T0LOCAL",
        "hash": "h1",
        "state": {"values": {block: {"value": element} for block, element in fields.items()}},
    }
    payload = {"type": "view_submission", **driver.actor(user), "view": view}
    return response_json(driver.interaction(payload))


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _choice(value: str) -> dict[str, Any]:
    return {"type": "external_select", "selected_option": {"value": value}}


def _fields(names: dict[str, str], **values: str) -> dict[str, dict[str, Any]]:
    """Valid answers for a form's inputs, so that only the id is wrong."""
    return {names[name]: _text(value) for name, value in values.items()}


IDEA_BODY = {ids.IDEA_FIELDS["body"]: _text("Shared bikes for the school run")}
CARD = _fields(
    programme.EXPERIMENT_FIELDS,
    title="Bikes",
    hypothesis="Fewer cars",
    measure="Cars counted",
    ends_on="2026-12-31",
)


STAGE = _fields(ids.STAGE_FIELDS, stage="pilot")
THEMED_IDEA = {**IDEA_BODY, ids.IDEA_FIELDS["theme_id"]: _choice(THEME_VALUE + HUGE)}
CHARTER = _fields(programme.CHARTER_FIELDS, goal="Safer school roads")
CARD_WITH_GOAL = {**CARD, **_fields(programme.EXPERIMENT_FIELDS, strategy_goal_id=HUGE)}
RESULT = _fields(programme.RESULT_FIELDS, happened="Fewer cars", decision="adopt")
EVALUATION = _fields(programme.EVALUATION_FIELDS, rating="4")
MOVE = _fields(ids.MOVE_FIELDS, person="1", group="1")
POLL = {ids.POLL_SEND_FIELDS["round"]: _choice(HUGE), ids.POLL_SEND_FIELDS["days"]: _text("7")}


@pytest.mark.parametrize(
    "callback_id,metadata,user,fields",
    [
        (ids.STAGE_MODAL, huge_in("idea_id"), "UFACIL", STAGE),
        (ids.IDEA_MODAL, huge_in("idea_id"), "U001", IDEA_BODY),
        (ids.IDEA_MODAL, "{}", "U001", THEMED_IDEA),
        (programme.CHARTER_MODAL, huge_in("t"), "U001", CHARTER),
        (programme.EXPERIMENT_MODAL, huge_in("e"), "U001", CARD),
        (programme.EXPERIMENT_MODAL, '{"e": 1}', "U001", CARD_WITH_GOAL),
        (programme.RESULT_MODAL, huge_in("e"), "U001", RESULT),
        (programme.EVALUATION_MODAL, huge_in("s"), "U001", EVALUATION),
        (ids.POLL_TEXT_MODAL, huge_in("p"), "U001", {}),
        (ids.MOVE_MODAL, '{"r": ' + HUGE + ', "v": 1}', "UFACIL", MOVE),
        (ids.POLL_SEND_MODAL, "{}", "UFACIL", POLL),
    ],
)
def test_every_crafted_id_in_a_form_is_refused_in_the_form(
    driver: SlackDriver,
    caplog: pytest.LogCaptureFixture,
    callback_id: str,
    metadata: str,
    user: str,
    fields: dict[str, Any],
) -> None:
    answer = _submit(driver, callback_id, metadata, user, **fields)
    assert GENERIC not in text_of(answer.get("view") or answer), f"{callback_id}: {answer}"
    assert not errors_logged(caplog)
