"""Which response URLs the bot posts to (``bot/response_urls.py``): Slack's, and the origin of
the configured Web API; hosts compared exactly, never by suffix or prefix."""

from __future__ import annotations

import pytest

from bot.response_urls import ResponseUrls

LOCAL_API = "http://127.0.0.1:8123/api/"

SLACKS = [
    "https://hooks.slack.com/commands/T0001/1234567890/abcDEF123",
    "https://hooks.slack.com/actions/T0001/1234567890/abc-DEF_123",
    "https://hooks.slack.com/app/T0001/1234567890/abcDEF123",
    "https://hooks.slack.com:443/commands/T0001/1234567890/abcDEF123",
    "https://HOOKS.slack.com/commands/T0001/1234567890/abcDEF123",
    "https://hooks.slack-gov.com/commands/T0001/1234567890/abcDEF123",
    "https://hooks.slack-gov.com/app/E0001/1234567890/abcDEF123",
]
NOT_SLACKS = [
    # Look-alikes of Slack's host.
    "https://hooks.slack.com.evil.example/commands/T1/2/x",
    "https://evilhooks.slack.com/commands/T1/2/x",
    "https://hooks.slack.com./commands/T1/2/x",
    "https://slack.com/commands/T1/2/x",
    "https://hooks.slack-gov.com.evil.example/commands/T1/2/x",
    "https://evil.example/hooks.slack.com/commands/T1/2/x",
    # Userinfo: which host is meant depends on the reader.
    "https://evil@hooks.slack.com/commands/T1/2/x",
    "https://hooks.slack.com@evil.example/commands/T1/2/x",
    "https://user:password@hooks.slack.com/commands/T1/2/x",
    "https://hooks.slack.com\\@evil.example/commands/T1/2/x",
    # Plain http, odd ports, unreadable ports.
    "http://hooks.slack.com/commands/T1/2/x",
    "https://hooks.slack.com:8443/commands/T1/2/x",
    "https://hooks.slack.com:80/commands/T1/2/x",
    "https://hooks.slack.com:x/commands/T1/2/x",
    "https://hooks.slack.com:99999/commands/T1/2/x",
    # Slack's host, but no response URL: incoming webhooks post into a channel of the sender's
    # choosing; dot segments and escapes could lead there.
    "https://hooks.slack.com/services/T1/B2/x",
    "https://hooks.slack.com/workflows/T1/A2/x",
    "https://hooks.slack.com/triggers/T1/2/x",
    "https://hooks.slack.com/",
    "https://hooks.slack.com/commands/",
    "https://hooks.slack.com/app/../services/T1/B2/x",
    "https://hooks.slack.com/app/%2e%2e/services/T1/B2/x",
    # What URL parsers read differently: spaces, tabs, newlines, non-ASCII.
    "https://hooks.slack.com\t.evil.example/commands/T1/2/x",
    "https://hooks.slack.com/commands/T1/2/x\nHost: evil.example",
    " https://hooks.slack.com/commands/T1/2/x",
    "https://hooks.slack.com/commands/T1/2/\u00e4",
    "https://hooks.slаck.com/commands/T1/2/x",  # a Cyrillic a
    # Not http(s), or not a URL at all.
    "ftp://hooks.slack.com/commands/T1/2/x",
    "//hooks.slack.com/commands/T1/2/x",
    "hooks.slack.com/commands/T1/2/x",
    "https://[::1/commands/T1/2/x",
    "",
]


@pytest.mark.parametrize("url", SLACKS)
def test_slacks_response_urls_are_accepted(url: str) -> None:
    assert ResponseUrls(None).accepts(url)
    assert ResponseUrls(LOCAL_API).accepts(url)


@pytest.mark.parametrize("url", NOT_SLACKS)
def test_anything_else_is_refused(url: str) -> None:
    assert not ResponseUrls(None).accepts(url)
    assert not ResponseUrls(LOCAL_API).accepts(url)


@pytest.mark.parametrize("url", [None, 7, ["https://hooks.slack.com/commands/T1/2/x"], {}])
def test_what_is_not_a_string_is_refused(url: object) -> None:
    assert not ResponseUrls(None).accepts(url)


def test_the_configured_api_origin_is_accepted_and_nothing_near_it() -> None:
    local = ResponseUrls(LOCAL_API)
    assert local.accepts("http://127.0.0.1:8123/respond/cmd-1")
    assert local.accepts("http://127.0.0.1:8123/")
    for url in (
        "http://127.0.0.1:8124/respond/cmd-1",  # another port
        "https://127.0.0.1:8123/respond/cmd-1",  # another scheme
        "http://localhost:8123/respond/cmd-1",  # another name for it
        "http://user@127.0.0.1:8123/respond/cmd-1",
        "http://127.0.0.1:8123@evil.example/respond/cmd-1",
    ):
        assert not local.accepts(url), url
    # Without SLACK_API_URL, only Slack's.
    assert not ResponseUrls(None).accepts("http://127.0.0.1:8123/respond/cmd-1")


def test_default_ports_are_the_same_origin() -> None:
    assert ResponseUrls("https://proxy.example/api/").accepts("https://proxy.example:443/r/1")
    assert ResponseUrls("https://proxy.example:443/api/").accepts("https://proxy.example/r/1")
    assert not ResponseUrls("https://proxy.example/api/").accepts("http://proxy.example/r/1")


def test_every_response_url_of_a_body_is_checked_and_only_the_host_is_told() -> None:
    urls = ResponseUrls(None)
    slack = SLACKS[0]
    assert urls.foreign({"response_url": slack}) is None
    assert urls.foreign({"response_urls": []}) is None
    assert urls.foreign({"type": "view_submission"}) is None
    told = urls.foreign(
        {
            "response_urls": [
                {"response_url": slack},
                {"response_url": "https://evil:pw@internal.example:8080/secret-path"},
            ]
        }
    )
    assert told == "'https://internal.example:8080 (with userinfo)'"
    assert urls.foreign({"response_url": 7}) == "a int, not a URL"
    for crafted in (slack, [slack], [{"response_url": slack}, None], None):
        assert (
            urls.foreign({"response_urls": crafted})
            == "response_urls that are not a list of objects"
        )
    assert urls.foreign({"response_urls": [{}]}) == "a NoneType, not a URL"
