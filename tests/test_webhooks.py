"""Response URLs are posted over kept-alive connections (``bot/webhooks.py``): many posts share
one connection, also from many threads or greenlets at once; one the server closed while idle is replaced
without losing or doubling a post, whether it is seen closed before the post or only when the
post goes out; and a post the server hung up on over a new connection is not sent again."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.local.slack import LocalSlack
from bot.webhooks import ResponseUrlPoster
from tests.http_process import REPO_ROOT, clean_environment


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.posts: list[dict[str, object]] = []
        # What to do after reading each post: "answer", "answer then hang up", "hang up", or
        # "answer, then hang up on the next post unread" (the server closing an idle connection
        # just as the client sends on it: the client cannot have seen it closed).
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
        if step == "answer, then hang up on the next post unread":
            # Closed with the next request unread in its buffer: the client's post is reset.
            select.select([self.connection], [], [], 5)
            self.close_connection = True


@pytest.fixture
def server() -> Iterator[_Recorder]:
    recorder = _Recorder()
    thread = threading.Thread(
        target=recorder.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


def test_posts_share_one_kept_alive_connection(server: _Recorder) -> None:
    poster = ResponseUrlPoster(timeout=5)
    statuses = [poster.post(server.url, {"text": f"post {n}"}).status for n in range(5)]
    assert statuses == [200] * 5
    assert [post["text"] for post in server.posts] == [f"post {n}" for n in range(5)]
    assert server.connections == 1


@pytest.mark.parametrize(
    "closing",
    [
        # Closed after its answer: the next post finds it so and goes again on a new one.
        "answer then hang up",
        # Closed just as the post goes out: reset unread, and sent again on a new one.
        "answer, then hang up on the next post unread",
    ],
)
def test_a_connection_the_server_closed_is_replaced_and_the_post_arrives_once(
    server: _Recorder, closing: str
) -> None:
    poster = ResponseUrlPoster(timeout=5)
    server.plan = [closing]
    assert poster.post(server.url, {"text": "first"}).status == 200
    assert poster.post(server.url, {"text": "second"}).status == 200
    assert [post["text"] for post in server.posts] == ["first", "second"]
    assert server.connections == 2


def test_a_post_hung_up_on_over_a_new_connection_is_not_sent_again(server: _Recorder) -> None:
    poster = ResponseUrlPoster(timeout=5)
    server.plan = ["hang up"]
    with pytest.raises(OSError):
        poster.post(server.url, {"text": "once"})
    assert [post["text"] for post in server.posts] == ["once"]
    # The next post opens a new connection and arrives.
    assert poster.post(server.url, {"text": "next"}).status == 200


def test_threads_posting_at_once_each_borrow_a_connection_and_keep_them_for_later(
    server: _Recorder,
) -> None:
    poster = ResponseUrlPoster(timeout=5)
    _post_at_once(poster, server, 4)
    opened = server.connections
    assert 1 <= opened <= 4
    assert poster.idle_connections() == opened
    # Later posts, from any thread, reuse the kept connections: none is opened.
    with ThreadPoolExecutor(2) as pool:
        later = list(pool.map(lambda n: poster.post(server.url, {"text": f"later {n}"}), range(6)))
    assert [answer.status for answer in later] == [200] * 6
    assert server.connections == opened
    assert sorted(post["text"] for post in server.posts) == sorted(
        [f"post {n}" for n in range(4)] + [f"later {n}" for n in range(6)]
    )


def test_the_answer_carries_the_body_and_headers(server: _Recorder) -> None:
    answer = ResponseUrlPoster(timeout=5).post(server.url, {"text": "hello"})
    assert (answer.status, answer.body, answer.headers["Content-Length"]) == (200, "ok", "2")


def test_no_more_idle_connections_are_kept_than_the_limit(server: _Recorder) -> None:
    poster = ResponseUrlPoster(timeout=5, max_idle=2)
    _post_at_once(poster, server, 4)
    assert poster.idle_connections() == min(2, server.connections)


def _post_at_once(poster: ResponseUrlPoster, server: _Recorder, count: int) -> None:
    """``count`` threads post at about the same moment, each taking a connection."""
    ready = threading.Barrier(count)

    def post_together(number: int) -> int:
        ready.wait()
        return poster.post(server.url, {"text": f"post {number}"}).status

    with ThreadPoolExecutor(count) as pool:
        assert list(pool.map(post_together, range(count))) == [200] * count


# Run under gevent, as a gunicorn worker does: short-lived greenlets post at once, then others.
GEVENT_POSTS = """
from gevent import monkey

monkey.patch_all()
import sys

import gevent

from bot.webhooks import response_url_poster

url = sys.argv[1]


def post(wave, number):
    return response_url_poster().post(url, {"text": f"{wave} {number}"}).status


for wave in ("first", "second"):
    greenlets = [gevent.spawn(post, wave, number) for number in range(20)]
    gevent.joinall(greenlets, raise_error=True)
    assert [g.value for g in greenlets] == [200] * 20
    print(wave, response_url_poster().idle_connections(), flush=True)
"""


def test_greenlets_share_the_processs_connections_and_they_outlive_the_greenlets() -> None:
    with LocalSlack() as slack:
        done = subprocess.run(
            [sys.executable, "-c", GEVENT_POSTS, slack.response_url("g")],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO_ROOT,
            env=clean_environment({}),
        )
        assert done.returncode == 0, done.stderr
        posts = [call["text"] for call in slack.calls_to("response_url")]
        connections = slack.connections_of("response_url")
    waves = [line.split() for line in done.stdout.splitlines()]
    assert [wave for wave, _ in waves] == ["first", "second"]
    assert sorted(posts) == sorted(f"{w} {n}" for w in ("first", "second") for n in range(20))
    first_wave = {c for c, text in zip(connections, posts, strict=True) if text.startswith("f")}
    second_wave = {c for c, text in zip(connections, posts, strict=True) if text.startswith("s")}
    # The second wave's greenlets are new, and still post over the first wave's connections.
    assert second_wave <= first_wave
    assert int(waves[1][1]) == len(first_wave)
