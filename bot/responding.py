"""Bolt's ``respond``, posted by the gateway over the process's kept-alive connections
(``bot/slack_gateway.py``, ``bot/webhooks.py``).

Bolt gives every listener a ``respond`` that posts to the request's response URL through a new
``WebhookClient``: a new connection for each page click, withdraw click, refusal or error told
after the ack. ``install`` puts ``KeptAliveRespond`` into every request's context instead, so
those answers share the connections the similar-idea sweeper uses. It is Bolt's ``Respond``
(listeners and ``handlers`` keep naming that type), takes the same arguments, builds the same
message with Bolt's own builder, and returns the same ``WebhookResponse``.

What differs: a post whose kept connection had gone stale is sent once more on a new one,
never a post over a new connection (Bolt's client retries those too, and could post twice what
Slack had taken); the timeout is the gateway's Web API client's, not the webhook client's 30 s.
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

from bot.slack_gateway import SlackGateway


class KeptAliveRespond(Respond):
    def __init__(self, *, response_url: str | None, gateway: SlackGateway):
        super().__init__(response_url=response_url)
        self.gateway = gateway

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
        answer = self.gateway.post_to_response_url(self.response_url, message)
        return WebhookResponse(
            url=self.response_url,
            status_code=answer.status,
            body=answer.body,
            headers=answer.headers,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> KeptAliveRespond:
        # Bolt deep-copies a request for lazy listeners: the copy shares the gateway.
        return KeptAliveRespond(response_url=self.response_url, gateway=self.gateway)


def install(app: App, gateway: SlackGateway) -> None:
    """Every request's ``respond`` (the listener argument and ``context.respond``) posts
    through ``gateway``, the one place that talks to Slack."""

    def respond_over_kept_alive(
        context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        context["respond"] = KeptAliveRespond(response_url=context.response_url, gateway=gateway)
        return next()

    app.middleware(respond_over_kept_alive)
