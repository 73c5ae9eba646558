"""HTTP mode: ``POST /slack/events`` and ``GET /healthz`` under gunicorn."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from models.db import Database

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class CollideWsgi:
    """Slack's endpoint plus a health check that also asks the database."""

    def __init__(self, app: App, database: Database):
        self.slack = SlackRequestHandler(app, path="/slack/events")
        self.database = database

    def health(self) -> tuple[str, dict[str, str]]:
        try:
            with self.database.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            logger.warning("health check failed: %s", error)
            return "503 Service Unavailable", {"status": "unhealthy", "database": "unreachable"}
        return "200 OK", {"status": "ok"}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            status, body = self.health()
            data = json.dumps(body).encode()
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
            )
            return [data]
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
        # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
        if environ.get("PATH_INFO") == "/slack/events" and not (
            timestamp.isascii() and timestamp.isdigit()
        ):
            # Bolt's verifier calls int() on it: a forged value would raise there and be
            # answered as a failed listener (200) instead of refused.
            logger.warning("refused a request without a valid signature timestamp")
            return self._refuse(start_response, "401 Unauthorized", "invalid request")
        try:
            # The adapter builds the whole response before calling start_response.
            return self.slack(environ, start_response)
        except Exception:  # noqa: BLE001 - a malformed request must never become a 500
            # Bolt trusts the shape of a signed payload (e.g. ``"user": false`` raises in its
            # context builder). Log it here; the sender gets a plain refusal, no trace.
            logger.warning("malformed request refused", exc_info=True)
            return self._refuse(start_response, "400 Bad Request", "bad_request")

    @staticmethod
    def _refuse(start_response: StartResponse, status: str, error: str) -> Iterable[bytes]:
        data = json.dumps({"ok": False, "error": error}).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]


class GunicornServer(BaseApplication):
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, build: Callable[[], Any], options: dict[str, Any]):
        self.build = build
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # gunicorn 25.1+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl):
        # a second server on the same host (tests, benchmarks, a staging copy) would unlink the
        # first one's, and we never use gunicornc.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        return self.build()
