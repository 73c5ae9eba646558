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

import pytest

from handlers import ids
from i18n import t
from tests.slack_driver import SlackDriver, response_json, text_of

HUGE = "99999999999999999999"
GENERIC = t("errors.generic", "en")


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
