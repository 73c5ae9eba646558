"""One bot process running the poll sweep, for the two-process test.

``python -m tests.polls.sweep_instance DATABASE_URL SLACK_API_URL NOW RUNS NAME`` runs the sweep
RUNS times at the ISO time NOW against the local Slack, as the scheduler job would.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime

from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models.db import Database
from services.poll_workflow import run_poll_sweep


def main(url: str, api_url: str, now: str, runs: int, name: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(database_url=url, slack_bot_token="xoxb-test-token", slack_api_url=api_url)
    database = Database(url)
    gateway = SlackGateway(make_web_client(settings, timeout=5), SlackPacer(speedup=1000))
    for _ in range(runs):
        sender = outbound(settings, database, gateway).held_by(name)
        result = run_poll_sweep(sender, datetime.fromisoformat(now))
        print(f"{name} sent {result.sent}", flush=True)
    database.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
