"""Signed requests through the WSGI entry point gunicorn serves (``CollideWsgi``), in-process:
what reaches Bolt is exactly what ``collider run --http`` would hand it, fast enough to fuzz."""

from __future__ import annotations

import io
from typing import Any
from wsgiref.util import setup_testing_defaults

from slack_bolt import BoltResponse

from bot.http import CollideWsgi
from tests.slack_driver import SlackDriver, sign


class WsgiDriver(SlackDriver):
    def __init__(self, wsgi: CollideWsgi, driver: SlackDriver):
        super().__init__(driver.app, driver.slack, driver.secret)
        self.wsgi = wsgi

    def send(
        self,
        body: str | bytes,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> BoltResponse:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        signed = sign(self.secret, raw.decode("utf-8", "replace"), timestamp)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/slack/events",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
        }
        for name, value in {**signed, **(headers or {})}.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        setup_testing_defaults(environ)
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
            answer["status"] = int(status.split()[0])
            answer["headers"] = dict(response_headers)

        data = b"".join(self.wsgi(environ, start_response))
        return BoltResponse(status=answer["status"], body=data.decode("utf-8", "replace"))
