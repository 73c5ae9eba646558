"""A small Slack on 127.0.0.1: the Web API methods the bot uses, plus response URLs.

One implementation, two uses: the tests point the real Bolt app at it and assert on what it
recorded; ``collider console`` points the same app at it and renders what was "posted".
It answers like Slack (``{"ok": false, "error": ...}``, HTTP 429 with ``Retry-After``, the token's
scopes in ``x-oauth-scopes``), and can be told to fail, rate-limit or stall the next calls of a
method. Every message and view it receives is checked against Block Kit's limits
(:mod:`bot.local.block_kit_limits`): a payload real Slack would refuse is refused here too
(``invalid_blocks``) and kept in :attr:`LocalSlack.violations`, which the tests' fixture turns
into a failure even when the app swallows the error.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from email import policy as email_policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from bot.local import block_kit_limits, escaping

BOT_USER_ID = "UCOLLIDER"
TEAM_ID = "T0LOCAL"
CHAOS_SPARED = frozenset({"auth.test", "response_url"})
# What a token installed from manifest.yml holds (``collider doctor`` compares the two).
MANIFEST_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "mpim:write",
    "mpim:history",
    "groups:write",
    "groups:history",
    "groups:read",
    "channels:read",
    "users:read",
    "users:read.email",
    "files:write",
    "pins:write",
)
MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}
)
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.time)
    # What the local Slack answered (the console needs ids it made up, e.g. a view's id).
    result: dict[str, Any] | None = None
    # Which connection carried it, numbered from 1 as the server accepted them.
    connection: int = 0


@dataclass(frozen=True)
class UploadedFile:
    """A file whose upload was completed: shared in ``channels``, or private to the app."""

    id: str
    title: str
    content: bytes
    channels: tuple[str, ...]

    @property
    def is_image(self) -> bool:
        return self.content.startswith(IMAGE_SIGNATURES)


# PNG, JPEG and GIF: the files an image block's slack_file may show.
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


@dataclass(frozen=True)
class Violation:
    """A payload real Slack would have refused: which call, and every limit it broke."""

    method: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method}: " + "; ".join(self.problems)


def payload_problems(method: str, params: dict[str, Any]) -> list[str]:
    """Block Kit problems of a Web API call or response_url post (empty: Slack accepts it)."""
    if method in MESSAGE_METHODS or method == "response_url":
        return block_kit_limits.message_problems(params)
    if method in VIEW_METHODS:
        return block_kit_limits.view_problems(params.get("view"))
    if method == "conversations.create":
        error = block_kit_limits.channel_name_error(str(params.get("name") or ""))
        return [f"name {params.get('name')!r}: {error}"] if error else []
    return []


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    # Only calls whose parameters include all of these (e.g. ``{"users": "UAINO"}``): a test can
    # aim a failure at one person's call while other work calls the same method.
    where: dict[str, str] | None = None

    def applies_to(self, params: dict[str, Any]) -> bool:
        return not self.where or all(str(params.get(k)) == v for k, v in self.where.items())


@dataclass
class _Chaos:
    rate: float
    random: random.Random
    stall: float
    methods: frozenset[str] | None
    drawn: Counter[str] = field(default_factory=Counter)

    def draw(self, method: str) -> Fault | None:
        if self.methods is not None and method not in self.methods:
            return None
        if self.random.random() >= self.rate:
            return None
        kind = ("429", "500", "stall")[self.random.randrange(3)]
        self.drawn[kind] += 1
        if kind == "429":
            return Fault(429, "ratelimited", retry_after=1)
        if kind == "500":
            return Fault(500, "internal_error")
        return Fault(delay=self.stall)


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    locale: str = "en-US"
    tz: str = "Europe/Helsinki"
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False
    is_bot: bool = False
    email: str = ""


def _decode(value: str) -> Any:
    # Form-encoded calls carry blocks and views as JSON strings.
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of new connections (a pool of
    # kept-alive ones filling at once) overflowed it, and connections were reset or waited a
    # second for their SYN to be sent again, as Slack never makes a client do.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up waiting (a timeout test) leaves a broken pipe: not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalSlack:
    def __init__(self, token: str | None = None, *, scopes: tuple[str, ...] = MANIFEST_SCOPES):
        self.token = token
        # Sent back in the ``x-oauth-scopes`` header of every Web API answer, as Slack does.
        self.scopes = scopes
        self.violations: list[Violation] = []
        self.calls: list[Call] = []
        self.users: dict[str, User] = {}
        # Bytes posted to an upload URL, by file id; a file exists once its upload is completed.
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, UploadedFile] = {}
        # Ids of files deleted (files.delete), which Slack then answers with ``file_deleted``.
        self.deleted_files: set[str] = set()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        # Calls of a method whose connection is closed after the answer (``hang_up_after``).
        self._hang_ups: Counter[str] = Counter()
        self._connections = itertools.count(1)
        self._chaos: _Chaos | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.members: dict[str, list[str]] = {}
        self.channel_names: dict[str, str] = {}
        # Messages the app posted, per channel, oldest first.
        self.history: dict[str, list[dict[str, Any]]] = defaultdict(list)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        handler = type("Handler", (_Handler,), {"slack": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the local Slack first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "r") -> str:
        return f"{self.url}/respond/{key}"

    # -- test and console controls ----------------------------------------------------------
    def add_user(self, user_id: str, name: str, **attributes: Any) -> User:
        user = User(id=user_id, name=name, **attributes)
        self.users[user_id] = user
        return user

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
        where: dict[str, str] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (those whose parameters match ``where``,
        when given) fail, or stall for ``delay`` seconds."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if status == 429 and error is None:
            error = "ratelimited"
        with self._lock:
            for _ in range(times):
                self._faults[method].append(Fault(status, error, retry_after, delay, where))

    def hang_up_after(self, method: str, *, times: int = 1) -> None:
        """Close the connection of each of the next ``times`` calls of ``method`` right after
        answering it, without saying so in the answer: as a server closes a kept-alive
        connection that has been idle too long."""
        with self._lock:
            self._hang_ups[method] += times

    def connections_of(self, method: str) -> list[int]:
        """The connection that carried each call of ``method``, in order (a kept-alive client
        sends many calls over one)."""
        with self._lock:
            return [call.connection for call in self.calls if call.method == method]

    def chaos(
        self,
        rate: float = 0.2,
        *,
        seed: int = 0,
        stall: float = 2.0,
        methods: frozenset[str] | None = None,
    ) -> None:
        """From now on a share ``rate`` of Web API calls fails at random (same ``seed``, same
        draws): a third each answer 429 (Retry-After 1), answer 500, or stall ``stall`` seconds
        (past a short client timeout) and then carry the call out, as a slow Slack does.
        ``methods`` limits it to those methods; ``auth.test`` (the app's start-up) and response
        URLs (not the Web API) are spared.
        """
        with self._lock:
            self._chaos = _Chaos(rate, random.Random(seed), stall, methods)

    def calm(self) -> Counter[str]:
        """Stop the random faults (queued ``fail`` faults still apply); how many of each kind
        were drawn."""
        with self._lock:
            chaos, self._chaos = self._chaos, None
        return chaos.drawn if chaos else Counter()

    def check(self, method: str, params: dict[str, Any]) -> list[str]:
        """Block Kit problems of a payload, recorded as a violation when there are any.

        Unescaped user input is recorded too, but not refused: real Slack would post it (and
        ping everyone), so the app must not learn of it from an error. So is escaped text in a
        plain_text object, which Slack would show as ``&amp;``."""
        problems = payload_problems(method, params) + self._file_problems(method, params)
        live = escaping.escaping_problems(params)
        if problems or live:
            self.record_violation(method, problems + live)
        return problems

    def _file_problems(self, method: str, params: dict[str, Any]) -> list[str]:
        """Images shown from a Slack file: the file must exist, be an image, and be one the app
        can see (it uploaded it: shared in a channel, or private to the app)."""
        if method not in MESSAGE_METHODS and method not in VIEW_METHODS:
            return []
        problems = []
        with self._lock:
            files = dict(self.files)
        for file_id in block_kit_limits.slack_file_ids(params.get("blocks") or params.get("view")):
            uploaded = files.get(file_id)
            if uploaded is None or not uploaded.is_image:
                problems.append(f"slack_file {file_id}: invalid slack file (no such image)")
        return problems

    def record_violation(self, method: str, problems: list[str]) -> None:
        with self._lock:
            self.violations.append(Violation(method, tuple(problems)))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._faults.clear()
            self.violations.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The calls of ``method`` once there are at least ``count`` (work after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) to {method}, got {self.calls_to(method)}")

    # -- the API ------------------------------------------------------------------------------
    def _next_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            for fault in queue or ():
                if fault.applies_to(params):
                    self._faults[method].remove(fault)  # found: the loop ends here
                    return fault
            if self._chaos and method not in CHAOS_SPARED:
                return self._chaos.draw(method)
            return None

    def _record(
        self, method: str, params: dict[str, Any], token: str | None, connection: int = 0
    ) -> Call:
        call = Call(method, params, token, connection=connection)
        with self._lock:
            self.calls.append(call)
        return call

    def _new_connection(self) -> int:
        with self._lock:
            return next(self._connections)

    def _hangs_up_after(self, method: str) -> bool:
        with self._lock:
            if self._hang_ups[method] <= 0:
                return False
            self._hang_ups[method] -= 1
            return True

    def calls_since(self, index: int) -> list[Call]:
        """Every call recorded after the first ``index`` ones, in order."""
        with self._lock:
            return self.calls[index:]

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.calls)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        problems = self.check(method, params)
        if problems and method == "conversations.create":
            return {"ok": False, "error": problems[0].rsplit(": ", 1)[1]}
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        result: dict[str, Any] = handler(params)
        return result

    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "http://localhost/",
            "team": "Local",
            "user": "collider",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "BCOLLIDER",
        }

    def _ts(self) -> str:
        return f"{time.time():.6f}"

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if channel.startswith("U"):
            channel = self._dm(channel)
        ts = self._ts()
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {"ts": ts, "text": params.get("text"), "blocks": params.get("blocks")}
        if metadata:
            message["metadata"] = metadata
        with self._lock:
            self.history[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with ``user_id``."""
        return "D" + str(abs(hash(user_id)) % 10**9).zfill(9)

    _dm = dm_channel

    def _api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        with self._lock:
            messages = list(reversed(self.history.get(channel, [])))
        limit = int(params.get("limit") or 100)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def _api_conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        channels = [
            {"id": cid, "name": name, "is_private": True}
            for name, cid in self.channel_names.items()
        ]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._ts()}

    def _api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), str(params.get("message_ts") or "")
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://local.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def _view(self, params: dict[str, Any]) -> dict[str, Any]:
        view = dict(params.get("view") or {})
        view.setdefault("id", params.get("view_id") or self._new_id("V"))
        view["hash"] = self._new_id("h")
        return {"ok": True, "view": view}

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view(params)

    _api_views_push = _api_views_open

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._view(params)

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view(params)

    def user_object(self, user_id: str) -> dict[str, Any] | None:
        """A member as Slack describes them (``users.info``, and the user of ``team_join``)."""
        user = self.users.get(user_id)
        if user is None:
            return None
        return {
            "id": user.id,
            "team_id": TEAM_ID,
            "name": user.name,
            "real_name": user.real_name or user.name,
            "deleted": user.deleted,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_bot": user.is_bot,
            "locale": user.locale,
            "tz": user.tz,
            "profile": self._profile(user),
        }

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.user_object(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _profile(self, user: User) -> dict[str, Any]:
        profile = {"display_name": user.name, "real_name": user.real_name or user.name}
        # As Slack does: the e-mail only for a token with users:read.email.
        if user.email and "users:read.email" in self.scopes:
            profile["email"] = user.email
        return profile

    def _api_users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        if "users:read.email" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "users:read.email"}
        wanted = str(params.get("email") or "").strip().lower()
        user = next((u for u in self.users.values() if u.email and u.email.lower() == wanted), None)
        if user is None or user.deleted:
            return {"ok": False, "error": "users_not_found"}
        return self._api_users_info({"user": user.id})

    def _user_problem(self, user_ids: list[str]) -> str | None:
        for user_id in user_ids:
            user = self.users.get(user_id)
            if self.users and user is None:
                return "user_not_found"
            if user is not None and user.deleted:
                return "user_disabled"
        return None

    def _api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 8:
            return {"ok": False, "error": "too_many_users"}
        problem = self._user_problem(users)
        if problem:
            return {"ok": False, "error": problem}
        key = ",".join(sorted(users))
        channel = (
            self._dm(users[0]) if len(users) == 1 else "G" + str(abs(hash(key)) % 10**9).zfill(9)
        )
        self.members[channel] = sorted(users)
        return {"ok": True, "channel": {"id": channel}}

    def _api_conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name", ""))
        with self._lock:
            if name in self.channel_names:
                return {"ok": False, "error": "name_taken"}
            channel = self._new_id("C")
            self.channel_names[name] = channel
            self.members[channel] = []
        return {"ok": True, "channel": {"id": channel, "name": name}}

    def _api_conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        problem = self._user_problem(users)
        if problem:
            return {"ok": False, "error": problem}
        self.members[channel] = sorted(set(self.members[channel]) | set(users))
        return {"ok": True, "channel": {"id": channel}}

    def _api_conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": self.members[channel], "response_metadata": {}}

    def _api_pins_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("timestamp"))
        with self._lock:
            messages = self.history.get(channel, [])
            message = next((m for m in messages if m["ts"] == ts), None)
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            if message.get("pinned"):
                return {"ok": False, "error": "already_pinned"}
            message["pinned"] = True
        return {"ok": True}

    def _api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = self._new_id("F")
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        files = files or []
        missing = [f["id"] for f in files if f["id"] not in self.uploads]
        if missing:
            return {"ok": False, "error": "file_not_found"}
        # Without channel_id (or channels) the file is shared nowhere: private to the app.
        shared = [str(params["channel_id"])] if params.get("channel_id") else []
        shared += [c for c in str(params.get("channels") or "").split(",") if c]
        with self._lock:
            for f in files:
                title = str(f.get("title") or "")
                content = self.uploads[f["id"]]
                self.files[f["id"]] = UploadedFile(f["id"], title, content, tuple(shared))
        return {
            "ok": True,
            "files": [
                {
                    "id": f["id"],
                    "title": f.get("title"),
                    "channels": shared,
                    "is_public": False,
                    "mimetype": "image/png" if self.files[f["id"]].is_image else "",
                }
                for f in files
            ],
        }

    def _api_files_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        """As Slack documents it: ``{"ok": true}``; ``file_deleted`` for a file deleted before,
        ``file_not_found`` for one that never was (or that the app cannot see)."""
        file_id = str(params.get("file") or "")
        if not file_id:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            if self.files.pop(file_id, None) is not None:
                self.deleted_files.add(file_id)
                return {"ok": True}
            if file_id in self.deleted_files:
                return {"ok": False, "error": "file_deleted"}
        return {"ok": False, "error": "file_not_found"}


def _uploaded_bytes(raw: bytes, content_type: str) -> bytes:
    """The file's bytes from an upload body: the first part of a multipart body, else the body."""
    if not content_type.startswith("multipart/"):
        return raw
    message = BytesParser(policy=email_policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if payload is not None:
            return bytes(payload)
    return raw


class _Handler(BaseHTTPRequestHandler):
    slack: LocalSlack
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: on a kept-alive connection, Nagle's algorithm
    # would hold the body until the client's delayed ACK (40 ms a post), as Slack does not.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep tests quiet
        return

    def setup(self) -> None:
        super().setup()
        self.connection_number = self.slack._new_connection()

    def _send(self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        content_type = "text/plain" if isinstance(body, str) else "application/json"
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        # The client may have given up waiting (a stall past its timeout), as with real Slack.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def _params(self) -> dict[str, Any]:
        url = urlparse(self.path)
        params: dict[str, Any] = {k: _decode(v) for k, v in parse_qsl(url.query)}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if urlparse(self.path).path.startswith("/upload/"):
            # files_upload_v2 posts the file itself here, often as multipart/form-data.
            params["_raw"] = _uploaded_bytes(raw, content_type)
            return params
        if raw and "json" in content_type:
            params.update(json.loads(raw))
        elif raw and "form" in content_type:
            params.update({k: _decode(v) for k, v in parse_qsl(raw.decode())})
        elif raw:
            params["_raw"] = raw
        return params

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.do_POST()

    def do_POST(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        params = self._params()
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        slack = self.slack
        if path.startswith("/upload/"):
            slack.uploads[path.rsplit("/", 1)[1]] = params.get("_raw", b"")
            slack._record("upload", {"file_id": path.rsplit("/", 1)[1]}, None)
            self._send(200, "OK - uploaded")
            return
        if path.startswith("/respond/"):
            fault = slack._next_fault("response_url", params)
            key = path.rsplit("/", 1)[1]
            slack._record("response_url", {**params, "_key": key}, None, self.connection_number)
            if slack._hangs_up_after("response_url"):
                self.close_connection = True
            if fault:
                time.sleep(fault.delay)
                if fault.status != 200:
                    self._send(fault.status, fault.error or "error")
                    return
            if slack.check("response_url", params):
                self._send(400, "invalid_blocks")
                return
            self._send(200, "ok")
            return
        if not path.startswith("/api/"):
            self._send(404, {"ok": False, "error": "not_found"})
            return
        method = path.removeprefix("/api/")
        fault = slack._next_fault(method, params)
        call = slack._record(method, params, token, self.connection_number)
        if slack._hangs_up_after(method):
            self.close_connection = True
        if fault:
            time.sleep(fault.delay)
            if fault.status == 429:
                self._send(
                    429,
                    {"ok": False, "error": fault.error},
                    {"Retry-After": str(fault.retry_after)},
                )
                return
            if fault.status != 200 or fault.error:
                self._send(fault.status, {"ok": False, "error": fault.error or "internal_error"})
                return
        if slack.token and token != slack.token:
            self._send(200, {"ok": False, "error": "invalid_auth"})
            return
        call.result = slack.answer(method, params)
        self._send(200, call.result, {"x-oauth-scopes": ",".join(slack.scopes)})
