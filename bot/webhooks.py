"""Posts to response URLs over kept-alive connections, shared by the whole process.

slack_sdk's ``WebhookClient`` (and so Bolt's ``respond``) opens a new connection for every post
(``urllib``), and builds an opener, a request and a header parser each time. Every answer to a
response URL goes through ``response_url_poster()`` instead: the similar-idea sweeper's
suggestions, and Bolt's ``respond`` in every listener (``bot/responding.py``): paging and
withdraw clicks, refusals, errors after the ack. They all go to one host, so a few kept
connections save the handshake (TLS with real Slack) and most of that per-post work.

One poster per process, lent connection by connection: a post takes an idle connection (or
opens one), and gives it back when the answer has been read, so no two threads or greenlets
ever share a connection at once, and connections outlive the short-lived greenlets of gevent
workers. After a fork the parent's connections are left to the parent.

A kept connection may have been closed by the server while idle. A post that finds it so (the
server hung up before answering, or the socket was reset before the request went out) is sent
once more on a new connection: the server answered nothing, so it acted on nothing (the rule
HTTP clients such as Go's use for idle connections). It is not checked before use: a zero-time
``select`` is a scheduling point under gevent, and in a profile of the mixed load it held each
answer for 50 ms while other greenlets ran.
A new connection that fails raises as ``OSError`` or ``http.client.HTTPException``, and the
post is not sent again: Slack may have taken it.

With an HTTP proxy set in the environment (as slack_sdk reads it), posts go through
``WebhookClient``, which knows how to use it.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.internal_utils import get_user_agent
from slack_sdk.webhook import WebhookClient

logger = logging.getLogger(__name__)

# The server closed the idle connection: nothing was read from this request.
_CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
Host = tuple[str, str, int | None]
# Idle connections kept in all: more than the posts a process has under way at once in normal
# use (listener and worker threads, the sweeper's senders); one host in production.
MAX_IDLE = 32
# An idle connection older than this is closed rather than reused: servers close idle
# connections after a while, and a test run's stopped local servers must not keep ours.
IDLE_SECONDS = 50.0
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    """What the server answered a post."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Idle:
    connection: http.client.HTTPConnection
    since: float


class ResponseUrlPoster:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT, *, max_idle: int = MAX_IDLE):
        self.timeout = timeout
        self.max_idle = max_idle
        self.proxy = load_http_proxy_from_env(logger)
        self._lock = threading.Lock()
        # Idle connections, the longest idle first: (host, number) -> connection.
        self._idle: OrderedDict[tuple[Host, int], _Idle] = OrderedDict()
        self._numbers = 0
        self._pid = os.getpid()
        self._headers = {
            "Content-Type": "application/json;charset=utf-8",
            "User-Agent": get_user_agent(),
        }

    def post(self, url: str, payload: dict[str, Any], *, timeout: float | None = None) -> Answer:
        """POST ``payload`` as JSON to ``url``; what Slack answered (any HTTP status)."""
        timeout = self.timeout if timeout is None else timeout
        if self.proxy:
            response = WebhookClient(url, timeout=int(timeout), proxy=self.proxy).send_dict(payload)
            return Answer(response.status_code, response.body, dict(response.headers))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OSError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        host: Host = (parts.scheme, parts.hostname, parts.port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = json.dumps(payload).encode()
        connection, reused = self._take(host, timeout)
        try:
            answer = self._exchange(connection, target, body)
        except _CLOSED_WHILE_IDLE:
            connection.close()
            if not reused:
                raise
        except BaseException:
            connection.close()
            raise
        else:
            self._give_back(host, connection)
            return answer
        connection = self._open(host, timeout)
        try:
            answer = self._exchange(connection, target, body)
        except BaseException:
            connection.close()
            raise
        self._give_back(host, connection)
        return answer

    def idle_connections(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Close the idle connections (those lent out close when given back to a full pool)."""
        with self._lock:
            idle, self._idle = list(self._idle.values()), OrderedDict()
        for kept in idle:
            kept.connection.close()

    def _exchange(self, connection: http.client.HTTPConnection, target: str, body: bytes) -> Answer:
        connection.request("POST", target, body=body, headers=self._headers)
        response = connection.getresponse()
        # Read to the end, so the connection is free for the next post.
        content = response.read()
        charset = response.headers.get_content_charset() or "utf-8"
        return Answer(response.status, content.decode(charset, "replace"), dict(response.headers))

    def _take(self, host: Host, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection to ``host`` that has not been idle too long, else a new one; and
        whether it has been used before."""
        while True:
            kept = self._pop_idle(host)
            if kept is None:
                return self._open(host, timeout), False
            connection = kept.connection
            if time.monotonic() - kept.since < IDLE_SECONDS and connection.sock is not None:
                connection.sock.settimeout(timeout)
                return connection, True
            connection.close()

    def _pop_idle(self, host: Host) -> _Idle | None:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child: the parent's sockets are the parent's. Forgotten, not closed.
                self._idle, self._pid = OrderedDict(), os.getpid()
            # The most recently used first: the least likely to have been closed meanwhile.
            for key in reversed(self._idle):
                if key[0] == host:
                    return self._idle.pop(key)
        return None

    def _open(self, host: Host, timeout: float) -> http.client.HTTPConnection:
        scheme, hostname, port = host
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        return kind(hostname, port, timeout=timeout)

    def _give_back(self, host: Host, connection: http.client.HTTPConnection) -> None:
        if connection.sock is None:
            return  # the server said it closes (``Connection: close``): nothing to keep
        evicted: list[_Idle] = []
        with self._lock:
            self._numbers += 1
            self._idle[(host, self._numbers)] = _Idle(connection, time.monotonic())
            while len(self._idle) > self.max_idle:
                evicted.append(self._idle.popitem(last=False)[1])
        for kept in evicted:
            kept.connection.close()


_shared: ResponseUrlPoster | None = None
_shared_lock = threading.Lock()


def response_url_poster() -> ResponseUrlPoster:
    """The process's one poster, made on first use (after a fork, in the worker)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ResponseUrlPoster()
        return _shared
