"""The similar-idea sweeper of a process: elected, so one runs per deployment.

Every process that does background work (the background process of ``collider run --http``,
``collider scheduler``, a Socket Mode process, the console) starts one; they compete for a
leadership of their own (a PostgreSQL advisory lock, or a lease row on SQLite,
as the scheduler does, under another key), and only the leader sweeps
(``services.suggestion_sweep.sweep_once``) every ``interval`` seconds; in a flood it rests
twice as long as each batch computed, so it takes at most a third of a core from the acks
(on the same machine; in HTTP mode it never runs in a request worker).
When the leader exits, a standby takes over within ``retry_seconds`` (PostgreSQL) or once the
lease has expired (SQLite, 30 s, or at once when the holder was a process of this host that is
gone); the queue is in the database, so nothing is lost meanwhile.

Sending is ``send_suggestion``, through ``services.delivery.reply``: a response URL (``/idea``)
or an ephemeral message where a form was opened, else the author's DM.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers.similar import SimilarIdeasRenderer
from models.db import Database
from scheduler.leadership import AdvisoryLockLeadership, Leadership, LeaseLeadership
from services.delivery import ReplyTo, reply
from services.suggestion_sweep import Due, SweepReport, sweep_once

logger = logging.getLogger(__name__)

# Not the scheduler's key: the two elections are independent ("suggest" in ASCII).
ADVISORY_LOCK_KEY = 0x73756767657374
LEASE_NAME = "suggestions"
DEFAULT_INTERVAL = 0.5
DEFAULT_RETRY_SECONDS = 5.0
SENDERS = 8
REST_PER_BUSY = 2.0


def send_suggestion(gateway: SlackGateway, due: Due, message: dict[str, Any]) -> None:
    """Show the suggestions to the idea's author, through the one delivery module; raise if
    Slack did not take them (the sweep counts it)."""
    to = ReplyTo(due.author_user_id, response_url=due.reply_url, channel=due.channel_id)
    outcome = reply(gateway, message, to)
    if not outcome.delivered:
        raise RuntimeError(f"similar ideas not delivered: {outcome.status} {outcome.code}")


def suggestion_leadership(database: Database) -> Leadership:
    if database.engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(database.engine.url, key=ADVISORY_LOCK_KEY)
    return LeaseLeadership(database, name=LEASE_NAME)


class SuggestionSweeper:
    def __init__(
        self,
        database: Database,
        client: WebClient,
        *,
        default_language: str,
        interval: float = DEFAULT_INTERVAL,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        leadership: Leadership | None = None,
    ):
        self.database = database
        self.client = client
        self.gateway = SlackGateway(client)
        self.default_language = default_language
        self.interval = interval
        self.retry_seconds = retry_seconds
        self.leadership = leadership or suggestion_leadership(database)
        self.renderer = SimilarIdeasRenderer()
        self.senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="collider-suggest-send")
        # Sweeps that found work: in a flood, far fewer than the ideas they handled.
        self.batches = 0
        self._leading = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self._leading

    def start(self) -> SuggestionSweeper:
        self._thread = threading.Thread(target=self._run, name="collider-suggest", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sweeping (a sweep under way ends first) and hand leadership over."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.senders.shutdown(wait=True)
        try:
            self.leadership.dispose()
        except Exception as error:  # noqa: BLE001 - the lease expires or the session ends anyway
            logger.warning("could not release the suggestion sweeper's leadership: %s", error)

    def sweep(self) -> SweepReport:
        report = sweep_once(
            self.database,
            self.renderer,
            lambda due, message: send_suggestion(self.gateway, due, message),
            self.senders,
            default_language=self.default_language,
        )
        if report.taken:
            self.batches += 1
        return report

    def _run(self) -> None:
        next_check = 0.0
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_check:
                self._check_leadership()
                next_check = now + self.retry_seconds
            if not self._leading:
                self._stopping.wait(self.retry_seconds)
                continue
            started, computing = time.monotonic(), time.thread_time()
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - a failed sweep must not end the thread
                logger.exception("similar-idea sweep failed; trying again shortly")
            # In a flood, rest twice as long as the batch computed: the sweeper then takes at
            # most a third of a core from the acks of the process it shares.
            cpu = time.thread_time() - computing
            self._stopping.wait(
                max(self.interval - (time.monotonic() - started), REST_PER_BUSY * cpu)
            )

    def _check_leadership(self) -> None:
        try:
            if self._leading:
                self._leading = self.leadership.confirm()
                if not self._leading:
                    logger.warning("the similar-idea sweeper lost its leadership")
            else:
                self._leading = self.leadership.try_acquire()
                if self._leading:
                    logger.info("%s sweeps similar-idea suggestions", self.leadership.holder)
        except Exception as error:  # noqa: BLE001 - database unreachable: try again later
            logger.warning("similar-idea sweeper leadership check failed: %s", error)
            self._leading = False


def start_suggestion_sweeper(
    settings: Settings, database: Database, client: WebClient | None = None, **options: Any
) -> SuggestionSweeper:
    """Start this process's sweeper; it sweeps only while elected."""
    sweeper = SuggestionSweeper(
        database,
        client or make_web_client(settings),
        default_language=settings.default_language,
        **options,
    )
    return sweeper.start()
