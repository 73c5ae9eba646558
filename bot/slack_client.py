"""The Web API client: one place for base URL, timeouts and the retry policy."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"


def retry_handlers() -> list:
    # slack_sdk ships these but leaves them off: 429 waits for Retry-After, 5xx and dropped
    # connections back off and try again.
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def make_web_client(
    settings: Settings, *, token: str | None = None, timeout: int = 10
) -> WebClient:
    return WebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=timeout,
        retry_handlers=retry_handlers(),
    )
