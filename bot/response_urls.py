"""Only Slack's response URLs are ever posted to.

A request names where its answer goes (``response_url``; ``response_urls[]`` of a form
submission), and the bot posts there: ``respond`` in every listener, and the similar-idea
suggestions the sweeper sends later to the ``reply_url`` that ``/idea`` stored. A request
signed by someone holding the signing secret (or replayed with a crafted body) could name any
URL, and make the bot POST to internal hosts, or hand its answers to someone else.

So a request whose response URL is not Slack's is refused at the entry, as a malformed one is
(``handlers.listening``): a 400 before any listener runs, nothing stored, nothing sent. What is
stored (``pending_suggestions.reply_url``) comes only from requests that passed, and the gateway
keeps sending what it is given.

Slack's response URLs are ``https://hooks.slack.com/commands/…`` (slash commands,
https://api.slack.com/interactivity/slash-commands), ``/actions/…`` (block actions) and
``/app/…`` (shortcuts, and the ``response_urls`` of a form submission;
https://api.slack.com/interactivity/handling#message_responses, and the payloads in
slackapi/bolt-python's tests). GovSlack "does not run on the slack.com domain … it runs on the
separate domain slack-gov.com" (https://api.slack-gov.com/gov-slack/about): the same URLs on
``hooks.slack-gov.com``. Only those paths: the same hosts also take incoming webhooks
(``/services/…``, ``/workflows/…``, ``/triggers/…``), which would post the bot's answers into a
channel of the sender's choosing. Besides Slack, the origin (scheme, host and port) of
``SLACK_API_URL`` when it is set: the local Slack of the tests and the console answers response
URLs beside its Web API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit

from slack_bolt import App, BoltResponse

from handlers.listening import describe

logger = logging.getLogger(__name__)

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
# /commands/T0001/1234567890/abcDEF: letters, digits, - and _ only, so no dot segment
# (``/app/../services/…``) or escape reaches a path Slack would read otherwise.
_SLACK_RESPONSE_PATH = re.compile(r"/(?:commands|actions|app)(?:/[A-Za-z0-9_-]+)+")
# Printable ASCII without spaces and backslashes: where URL parsers disagree (urlsplit drops
# tabs and newlines, urllib behind a proxy may not), the URL is refused instead of guessed.
_PLAIN_URL = re.compile(r"[!-\[\]-~]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def _origin(parts: SplitResult) -> Origin | None:
    """Scheme, host and port; None for a URL with userinfo, a bad port or no host."""
    try:
        port = parts.port
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname or parts.scheme not in _DEFAULT_PORTS:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


class ResponseUrls:
    """Which response URLs the bot posts to: Slack's, and the configured Web API's origin."""

    def __init__(self, slack_api_url: str | None) -> None:
        self.local = _origin(urlsplit(slack_api_url)) if slack_api_url else None

    def accepts(self, url: object) -> bool:
        if not isinstance(url, str) or not _PLAIN_URL.fullmatch(url):
            return False
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            return False
        origin = _origin(parts)
        if origin is None:
            return False
        if origin[1] in SLACK_HOOK_HOSTS:
            return origin == ("https", origin[1], 443) and bool(
                _SLACK_RESPONSE_PATH.fullmatch(parts.path)
            )
        return origin == self.local

    def foreign(self, body: dict[str, Any]) -> str | None:
        """Where the first response URL of ``body`` that is not accepted points (its host,
        never its path: the path is the URL's secret), or None when all are accepted. Every
        one is checked, wherever Bolt or a listener could read it."""
        entries = body.get("response_urls", [])
        if not (isinstance(entries, list) and all(isinstance(e, dict) for e in entries)):
            return "response_urls that are not a list of objects"
        urls = [entry.get("response_url") for entry in entries]
        if "response_url" in body:
            urls.insert(0, body["response_url"])
        for url in urls:
            if not self.accepts(url):
                return _host_of(url)
        return None


def _host_of(url: object) -> str:
    if not isinstance(url, str):
        return f"a {type(url).__name__}, not a URL"
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "an unreadable URL"
    where = f"{parts.scheme}://{host or ''}" + (f":{port}" if port else "")
    if parts.username is not None:
        where += " (with userinfo)"
    # Said in a log line about a body anyone may have crafted: short, and shown as data.
    return repr(where[:200])


def install(app: App, slack_api_url: str | None) -> None:
    """Refuse, before any listener, a request whose response URL is not Slack's."""
    accepted = ResponseUrls(slack_api_url)

    def only_slack_response_urls(
        body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        foreign = accepted.foreign(body)
        if foreign is not None:
            logger.warning(
                "refused %s: a response URL on %s that is not Slack's", describe(body), foreign
            )
            return BoltResponse(status=400, body="")
        return next()

    app.middleware(only_slack_response_urls)
