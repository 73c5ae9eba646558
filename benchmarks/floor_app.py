"""The floor: a minimal slack_bolt app that checks the signature of ``/idea`` and only acks.

Served under the same gunicorn settings as ``collider run --http`` (``bot.http.server_options``),
so ``ack_vs_floor`` compares the project with what Bolt and the server cost by themselves.

    python -m benchmarks.floor_app --port 3100 --workers 2 --worker-class gevent
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.http import GunicornServer
from bot.server_options import DEFAULT_THREADS, DEFAULT_WORKER_CLASS, WORKER_CLASSES, server_options

ANSWER = "Saved your idea"


def floor_app(signing_secret: str, token: str, api_url: str) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: Bolt's defaults (listener pool, signature check, one ``auth.test`` per
    worker, as the project does), one listener."""
    app = App(
        signing_secret=signing_secret,
        client=WebClient(token=token, base_url=api_url),
        token_verification_enabled=False,
    )

    def share_idea(ack: Ack) -> None:
        ack(response_type="ephemeral", text=ANSWER)

    app.command("/idea")(share_idea)
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            data = json.dumps({"status": "ok"}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [data]
        return slack(environ, start_response)

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--worker-class", choices=WORKER_CLASSES, default=DEFAULT_WORKER_CLASS)
    parser.add_argument("--signing-secret", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--api-url", required=True, help="the (local) Slack Web API")
    args = parser.parse_args()
    options = server_options(
        f"127.0.0.1:{args.port}",
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        log_level="warning",
    )
    GunicornServer(lambda: floor_app(args.signing_secret, args.token, args.api_url), options).run()


if __name__ == "__main__":
    main()
