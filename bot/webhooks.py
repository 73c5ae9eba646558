"""Posts to response URLs over kept-alive connections: one per thread and host.

slack_sdk's ``WebhookClient`` opens a new connection for every post (``urllib``), and builds an
opener, a request and a header parser each time. The similar-idea sweeper posts hundreds of
suggestions to response URLs in a flood, all to one host: a connection kept open per sending
thread saves the handshake (TLS with real Slack) and most of that per-post work.

A kept connection may have been closed by the server while idle. A post that finds it so (the
server hung up before answering, or the socket was reset before the request went out) is sent
once more on a new connection: the server answered nothing, so it acted on nothing (the rule
HTTP clients such as Go's use for idle connections). A new connection that fails raises as
``OSError``.

With an HTTP proxy set in the environment (as slack_sdk reads it), posts go through
``WebhookClient``, which knows how to use it.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.internal_utils import get_user_agent
from slack_sdk.webhook import WebhookClient

logger = logging.getLogger(__name__)

# The server closed the idle connection: nothing was read from this request.
_CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
Host = tuple[str, str, int | None]


class ResponseUrlPoster:
    def __init__(self, timeout: float):
        self.timeout = timeout
        self.proxy = load_http_proxy_from_env(logger)
        self._local = threading.local()
        self._headers = {
            "Content-Type": "application/json;charset=utf-8",
            "User-Agent": get_user_agent(),
        }

    def post(self, url: str, payload: dict[str, Any]) -> int:
        """POST ``payload`` as JSON to ``url``; the HTTP status Slack answered."""
        if self.proxy:
            return (
                WebhookClient(url, timeout=int(self.timeout), proxy=self.proxy)
                .send_dict(payload)
                .status_code
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OSError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        host: Host = (parts.scheme, parts.hostname, parts.port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = json.dumps(payload).encode()
        connection, reused = self._connection(host)
        try:
            return self._exchange(connection, target, body)
        except _CLOSED_WHILE_IDLE:
            self._drop(host)
            if not reused:
                raise
        except BaseException:
            self._drop(host)
            raise
        connection, _ = self._connection(host)
        try:
            return self._exchange(connection, target, body)
        except BaseException:
            self._drop(host)
            raise

    def close(self) -> None:
        """Close this thread's connections (others close with their threads)."""
        for connection in self._connections().values():
            connection.close()
        self._connections().clear()

    def _exchange(self, connection: http.client.HTTPConnection, target: str, body: bytes) -> int:
        connection.request("POST", target, body=body, headers=self._headers)
        response = connection.getresponse()
        # Read to the end, so the connection is free for the next post.
        response.read()
        return response.status

    def _connections(self) -> dict[Host, http.client.HTTPConnection]:
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        return connections

    def _connection(self, host: Host) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection to ``host``, and whether it has been used before."""
        connections = self._connections()
        connection = connections.get(host)
        if connection is not None and connection.sock is not None:
            return connection, True
        scheme, hostname, port = host
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(hostname, port, timeout=self.timeout)
        connections[host] = connection
        return connection, False

    def _drop(self, host: Host) -> None:
        connection = self._connections().pop(host, None)
        if connection is not None:
            connection.close()
