"""Where each listener runs: in the request's own thread, or on the listener pool.

Bolt runs every listener on its executor and polls for the ack every 10 ms (``ThreadListenerRunner``
with ``process_before_response=False``); with ``process_before_response=True`` it runs every
listener in the request thread and answers once the listener returns. Neither fits all: a
listener that acks last (``/idea`` stores, then acks) gains nothing from a hand-off and loses
up to 10 ms of polling and a thread switch per request, while one that works after its ack
(opens a form, posts a message) must return the ack first.

So the choice is made per listener: those marked ``acks_last`` (``handlers.listening.listener``)
run in the request thread, the rest on the pool, lazy listeners as Bolt runs them. In Socket
Mode the "request thread" is the Socket Mode client's worker thread, which answers the
envelope once the listener returns: the same as over HTTP for a listener that acks last.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse


def acks_last(listener: Listener) -> bool:
    return bool(getattr(listener.ack_function, "acks_last", False))


class ListenerRunnerByKind(ThreadListenerRunner):
    """Bolt's runner, choosing per listener between the request thread and the pool."""

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        if not acks_last(listener) or self.process_before_response:
            return super().run(request, response, listener_name, listener, starting_time)
        # Built per request from this runner's current handlers (``app.error`` replaces the
        # error handler after construction); a handful of attribute assignments.
        in_request_thread = ThreadListenerRunner(
            logger=self.logger,
            process_before_response=True,
            listener_error_handler=self.listener_error_handler,
            listener_start_handler=self.listener_start_handler,
            listener_completion_handler=self.listener_completion_handler,
            listener_executor=self.listener_executor,
            lazy_listener_runner=self.lazy_listener_runner,
        )
        return in_request_thread.run(request, response, listener_name, listener, starting_time)


def install(app: App) -> None:
    """Replace the app's listener runner (Bolt offers no setting for it; the attribute is
    what ``App`` itself uses, and ``app.listener_runner`` reads it)."""
    runner: ThreadListenerRunner = app.listener_runner
    by_kind = ListenerRunnerByKind(**_fields(runner))
    app._listener_runner = by_kind  # noqa: SLF001


def _fields(runner: ThreadListenerRunner) -> dict[str, Any]:
    return {
        "logger": runner.logger,
        "process_before_response": runner.process_before_response,
        "listener_error_handler": runner.listener_error_handler,
        "listener_start_handler": runner.listener_start_handler,
        "listener_completion_handler": runner.listener_completion_handler,
        "listener_executor": runner.listener_executor,
        "lazy_listener_runner": runner.lazy_listener_runner,
    }
