"""Attack: button values whose numbers are floats, huge exponents or other JSON types.

``json.loads("1e309")`` is ``inf``; ``int(inf)`` raises ``OverflowError``, which ``read_json``
does not catch, and a value read outside ``read_json`` is not guarded at all. A crafted click
must be a bad request, never "something went wrong on our side" with a traceback logged.
"""

from __future__ import annotations

import logging

import pytest

from handlers import ids
from i18n import t
from tests.handlers.test_out_of_range_numbers import _fields, _submit
from tests.slack_driver import SlackDriver, text_of

GENERIC = t("errors.generic", "en")


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.getMessage()}: {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]


@pytest.mark.parametrize("n", ["1e309", '"x"', "[1]", "NaN"])
def test_a_crafted_group_number_in_a_lock_click_is_a_bad_request(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture, n: str
) -> None:
    value = '{"r": 1, "v": 1, "n": ' + n + ', "lock": true}'
    driver.click(ids.ROUND_LOCK, value, user="UFACIL")
    replies = driver.click_replies(1)
    assert GENERIC not in text_of(replies[-1]), f"n={n}: answered as our failure"
    assert not errors_logged(caplog)


@pytest.mark.parametrize("typed", ["٣", "0_3", "+3"])
def test_a_form_number_int_would_take_but_no_number_field_sends_is_refused_in_the_form(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture, typed: str
) -> None:
    """The match form's numbers are read by the one parser, as ids are: ``int()`` alone takes
    Arabic-Indic digits, underscores and a sign, which Slack's number field never sends."""
    fields = _fields(ids.MATCH_FIELDS, min_size=typed, max_size="5", diversity="2", window="3")
    answer = _submit(driver, ids.MATCH_MODAL, "{}", "UFACIL", **fields)
    assert answer.get("response_action") == "errors", answer
    assert ids.MATCH_FIELDS["min_size"] in answer["errors"], answer
    assert not errors_logged(caplog)
