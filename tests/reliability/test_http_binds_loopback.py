"""Issue 11, item 11: ``collider run --http`` listens on 127.0.0.1 unless told to go public."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.local.slack import LocalSlack
from tests.http_process import HttpCollider


def listening_addresses(port: int) -> set[str]:
    """IPv4 addresses the kernel has a listening socket on for ``port`` (Linux /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.fixture
def variables(database_url: str) -> Iterator[dict[str, str]]:
    with LocalSlack(token="xoxb-bind") as slack:
        yield {
            "SLACK_BOT_TOKEN": "xoxb-bind",
            "SLACK_SIGNING_SECRET": "bind-secret",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
        }


def test_default_bind_is_loopback_and_public_is_explicit() -> None:
    parse = build_parser().parse_args
    assert parse(["run", "--http"]).host == "127.0.0.1"
    assert parse(["run", "--http", "--public"]).host == "0.0.0.0"
    assert parse(["run", "--http", "--host", "10.1.2.3"]).host == "10.1.2.3"
    with pytest.raises(SystemExit):
        parse(["run", "--http", "--public", "--host", "10.1.2.3"])


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_http_server_without_options_listens_on_loopback_only(
    variables: dict[str, str], tmp_path: Path
) -> None:
    with HttpCollider(variables, tmp_path, bind=()) as server:
        assert listening_addresses(server.port) == {"127.0.0.1"}
        assert "serving HTTP on 127.0.0.1:" in server.log()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_public_option_listens_on_every_interface(
    variables: dict[str, str], tmp_path: Path
) -> None:
    with HttpCollider(variables, tmp_path, bind=("--public",)) as server:
        assert listening_addresses(server.port) == {"0.0.0.0"}
