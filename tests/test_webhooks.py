"""Response URLs are posted over kept-alive connections (``bot/webhooks.py``): many posts share
one connection, one the server closed while idle is replaced without losing or doubling a post,
and a post the server hung up on over a new connection is not sent again."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.webhooks import ResponseUrlPoster


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.posts: list[dict[str, object]] = []
        # What to do after reading each post: "answer", "answer then hang up", "hang up".
        self.plan: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/respond/key"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Recorder

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.posts.append(json.loads(body))
            step = self.server.plan.pop(0) if self.server.plan else "answer"
        if step == "hang up":
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        # As a server does with a connection idle too long: closed, and the client not told.
        self.close_connection = step == "answer then hang up"


@pytest.fixture
def server() -> Iterator[_Recorder]:
    recorder = _Recorder()
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


def test_posts_share_one_kept_alive_connection(server: _Recorder) -> None:
    poster = ResponseUrlPoster(timeout=5)
    statuses = [poster.post(server.url, {"text": f"post {n}"}) for n in range(5)]
    assert statuses == [200] * 5
    assert [post["text"] for post in server.posts] == [f"post {n}" for n in range(5)]
    assert server.connections == 1


def test_a_connection_closed_while_idle_is_replaced_and_the_post_arrives_once(
    server: _Recorder,
) -> None:
    poster = ResponseUrlPoster(timeout=5)
    server.plan = ["answer then hang up"]
    assert poster.post(server.url, {"text": "first"}) == 200
    assert poster.post(server.url, {"text": "second"}) == 200
    assert [post["text"] for post in server.posts] == ["first", "second"]
    assert server.connections == 2


def test_a_post_hung_up_on_over_a_new_connection_is_not_sent_again(server: _Recorder) -> None:
    poster = ResponseUrlPoster(timeout=5)
    server.plan = ["hang up"]
    with pytest.raises(OSError):
        poster.post(server.url, {"text": "once"})
    assert [post["text"] for post in server.posts] == ["once"]
    # The next post opens a new connection and arrives.
    assert poster.post(server.url, {"text": "next"}) == 200
