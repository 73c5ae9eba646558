"""Attack: the date ``/collider pause`` repeats back, as a Finnish or Swedish speaker reads it.

The answer passes ``until.isoformat()`` to ``t``, so the date is never localized: a Finnish
user who typed ``31.12.2030`` is told "tauolla 2030-12-31 asti", while their App Home (which
passes the date itself) says "31.12.2030".
"""

from __future__ import annotations

import pytest

from bot.local.slack import LocalSlack
from tests.slack_driver import SlackDriver, response_json, text_of


@pytest.mark.parametrize(
    "locale,typed,shown",
    [("fi-FI", "31.12.2030", "31.12.2030"), ("sv-SE", "2030-12-31", "31 dec. 2030")],
)
def test_the_pause_answer_writes_the_date_as_the_persons_language_does(
    driver: SlackDriver, slack: LocalSlack, locale: str, typed: str, shown: str
) -> None:
    slack.add_user("ULOCAL", "aino", locale=locale)
    answer = text_of(response_json(driver.command("/collider", f"pause {typed}", user="ULOCAL")))
    assert shown in answer, answer
