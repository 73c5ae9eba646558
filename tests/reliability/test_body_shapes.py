"""Issue 11, item 9 (the form part): a signed interaction whose parts have the wrong shape
(``user`` a string or a list, ``view`` a number, ...) is refused cleanly: never a 500, never an
empty body from a crashed error handler, never a trace."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.http import CollideWsgi
from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea
from models.db import Database
from tests.reliability.wsgi_driver import WsgiDriver
from tests.slack_driver import SlackDriver

SHAPES: list[Any] = ["U0SHAPE", ["U0SHAPE"], None, 7, True, {}, {"id": ["U1"]}, {"id": None}]
FIELDS = ["user", "team", "view", "actions", "container", "state"]


@pytest.fixture
def http(driver: SlackDriver, database: Database) -> WsgiDriver:
    return WsgiDriver(CollideWsgi(driver.app, database), driver)


def base_payload(http: WsgiDriver, kind: str) -> dict[str, Any]:
    if kind == "block_actions":
        return http.click_payload(ids.WITHDRAW_IDEA, "1", user="U0SHAPE")
    view = {
        "type": "modal",
        "callback_id": ids.IDEA_MODAL,
        "id": "V0SHAPE",
        "hash": "h",
        "private_metadata": "{}",
        "state": {"values": {ids.IDEA_FIELDS["body"]: {"value": {"value": "A shaped idea"}}}},
    }
    return {"type": kind, **http.actor("U0SHAPE"), "view": view}


def ideas(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Idea)) or 0)


def assert_clean(answer: Any) -> None:
    assert answer.status < 500, answer.body
    assert "Traceback" not in answer.body and "Error:" not in answer.body


# Every part of the wrong shape, for both kinds (only forms have a state).
MATRIX = [
    (kind, field)
    for kind in ("view_submission", "block_actions")
    for field in FIELDS
    if field != "state" or kind == "view_submission"
]


@pytest.mark.parametrize(("kind", "field"), MATRIX)
@pytest.mark.parametrize("shape", SHAPES, ids=repr)
def test_a_part_of_the_wrong_shape_is_refused_cleanly(
    http: WsgiDriver, database: Database, kind: str, field: str, shape: Any
) -> None:
    payload = base_payload(http, kind)
    if field == "state":
        payload["view"]["state"] = shape
    else:
        payload[field] = shape
    answer = http.interaction(payload)
    assert_clean(answer)
    if field == "user" and not isinstance(shape, dict):
        assert answer.status == 400  # refused before any listener: nobody sent it


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["view_submission", "block_actions"]),
    parts=st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(SHAPES), min_size=1),
)
def test_fuzzed_shapes_of_every_part_are_refused_cleanly(
    http: WsgiDriver, database: Database, slack: LocalSlack, kind: str, parts: dict[str, Any]
) -> None:
    before = ideas(database)
    payload = copy.deepcopy(base_payload(http, kind))
    # The state first: a view of the wrong shape, set after, replaces it.
    for field, shape in sorted(parts.items(), key=lambda part: part[0] != "state"):
        if field == "state" and kind == "view_submission":
            payload["view"]["state"] = shape
        else:
            payload[field] = shape
    assert_clean(http.interaction(payload))
    if "user" in parts or "view" in parts or "state" in parts:
        assert ideas(database) == before  # nobody, or no form: nothing stored
