"""Bolt's ``respond``, posted over the process's kept-alive connections (``bot/webhooks.py``).

Bolt gives every listener a ``respond`` that posts to the request's response URL through a new
``WebhookClient``: a new connection for each page click, withdraw click, refusal or error told
after the ack. ``install`` puts ``KeptAliveRespond`` into every request's context instead, so
those answers share the connections the similar-idea sweeper uses. It is Bolt's ``Respond``
(listeners and ``handlers`` keep naming that type), takes the same arguments, builds the same
message with Bolt's own builder, and returns the same ``WebhookResponse``.

What differs: a post whose kept connection had gone stale is sent once more on a new one,
never a post over a new connection (Bolt's client retries those too, and could post twice what
Slack had taken); the timeout is the app's Web API client's, not the webhook client's 30 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse

from bot.webhooks import ResponseUrlPoster


class KeptAliveRespond(Respond):
    def __init__(self, *, response_url: str | None, poster: ResponseUrlPoster, timeout: float):
        super().__init__(response_url=response_url)
        self.poster = poster
        self.timeout = timeout

    def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            # Bolt's form for a whole message: respond({"text": ..., "blocks": ...}).
            message = _build_message(**text)
        elif isinstance(text, str):
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        else:
            raise ValueError(f"The arg is unexpected type ({type(text)})")
        answer = self.poster.post(self.response_url, message, timeout=self.timeout)
        return WebhookResponse(
            url=self.response_url,
            status_code=answer.status,
            body=answer.body,
            headers=answer.headers,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> KeptAliveRespond:
        # Bolt deep-copies a request for lazy listeners: the copy shares the process's poster.
        return KeptAliveRespond(
            response_url=self.response_url, poster=self.poster, timeout=self.timeout
        )


def install(app: App, poster: ResponseUrlPoster, timeout: float) -> None:
    """Every request's ``respond`` (the listener argument and ``context.respond``) posts
    through ``poster``."""

    def respond_over_kept_alive(
        context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        context["respond"] = KeptAliveRespond(
            response_url=context.response_url, poster=poster, timeout=timeout
        )
        return next()

    app.middleware(respond_over_kept_alive)
