# ruff: noqa: F811 - the fixtures imported below are named again as test parameters
"""Issue 11, items 9 and 10, against a real ``collider run --http``: clients that send headers
and stall cannot starve the server, and a timestamp of non-ASCII digits is refused."""

from __future__ import annotations

import time
import uuid

from models.db import Database
from tests.http_process import HttpCollider, stalled_clients
from tests.slack_driver import SlackDriver, sign

# The HTTP-mode server and its helpers, shared (the fixtures start one server per module).
from tests.test_http_mode import (  # noqa: F401
    FORM,
    SIGNING_SECRET,
    ideas_with_body,
    local_slack,
    server,
    slack_form,
    store,
)


def test_slow_clients_cannot_starve_the_server(server: HttpCollider) -> None:
    # One worker (the fixture's): with gthread's 8 threads, 8 of these block everyone else
    # until they give up; the gevent worker gives each connection a greenlet.
    clients = stalled_clients(server.port, 32)
    try:
        started = time.monotonic()
        status, _ = server.request("GET", "/healthz", timeout=5)
        answered_in = time.monotonic() - started
    finally:
        for client in clients:
            client.close()
    assert status == 200
    assert answered_in < 1.0


def test_a_timestamp_of_non_ascii_digits_is_refused(
    server: HttpCollider, store: Database, slack_form: SlackDriver
) -> None:
    text = f"Superscript idea {uuid.uuid4().hex}"
    body = slack_form.command_body("/idea", text)
    headers = {"Content-Type": FORM, **sign(SIGNING_SECRET, body)}
    headers["x-slack-request-timestamp"] = "²"
    status, _ = server.request("POST", "/slack/events", body, headers)
    assert status == 401
    assert ideas_with_body(store, text) == 0
