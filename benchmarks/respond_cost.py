"""What one answer to a response URL costs: Bolt's ``respond`` against the kept-alive one.

The real app (``bot.app.create_app``) and a LocalSlack in this process, one listener thread:
``--n`` page clicks on ``/ideas`` (each answered with ``respond(replace_original=True)``),
one at a time, with the app's own ``respond`` (``bot/responding.py``: the process's kept-alive
poster) and with Bolt's (a ``Respond`` put back into the context, as Bolt builds it: a new
``WebhookClient`` and connection per answer), in alternating rounds so that both meet the same
machine. Prints, per click, the wall time until the answer was read back and the CPU of this
process (the app and the receiving LocalSlack, which starts a thread per connection), and the
connections the LocalSlack accepted.

    .venv/bin/python benchmarks/respond_cost.py --n 300 --rounds 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import App, BoltContext, BoltResponse  # noqa: E402
from slack_bolt.context.respond import Respond  # noqa: E402

from benchmarks.idea_ack_latency import BOT_TOKEN, SIGNING_SECRET  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.local.slack import LocalSlack  # noqa: E402
from bot.rate_limit import SlackPacer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack_client import make_web_client  # noqa: E402
from handlers import ids  # noqa: E402
from models.db import Database  # noqa: E402
from tests.slack_driver import SlackDriver  # noqa: E402


def bolts_respond(app: App) -> None:
    """Put Bolt's own ``respond`` back, after the app's middleware replaced it."""

    def as_bolt_does(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["respond"] = Respond(response_url=context.response_url)
        return next()

    app.middleware(as_bolt_does)


class Clicker:
    def __init__(self, settings: Settings, database: Database, slack: LocalSlack, bolt: bool):
        self.listeners = ThreadPoolExecutor(1)
        app = create_app(
            settings,
            database,
            client=make_web_client(settings, timeout=5),
            pacer=SlackPacer(speedup=1000),
            listener_executor=self.listeners,
            worker_executor=ThreadPoolExecutor(1),
        )
        if bolt:
            bolts_respond(app)
        self.driver = SlackDriver(app, slack, SIGNING_SECRET)
        self.slack = slack

    def clicks(self, n: int) -> tuple[float, float, int]:
        """Wall and CPU ms per click, and the connections the LocalSlack accepted."""
        before = len(self.slack.calls_to("response_url"))
        connections = set(self.slack.connections_of("response_url"))
        wall, cpu = time.perf_counter(), time.process_time()
        for number in range(n):
            self.driver.click(ids.IDEAS_PAGE, f'{{"q": "", "p": {1 + number % 2}}}')
            self.listeners.submit(lambda: None).result()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert len(self.slack.calls_to("response_url")) == before + n
        opened = set(self.slack.connections_of("response_url")[before:]) - connections
        return wall * 1000 / n, cpu * 1000 / n, len(opened)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="clicks per round (default 300)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, LocalSlack(token=BOT_TOKEN) as slack:
        database = Database(f"sqlite:///{Path(scratch) / 'respond.sqlite3'}")
        database.upgrade()
        settings = Settings(
            database_url=database.url,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
        )
        apps = {
            "kept-alive": Clicker(settings, database, slack, bolt=False),
            "bolt": Clicker(settings, database, slack, bolt=True),
        }
        for number in range(7):
            apps["bolt"].driver.command("/idea", f"Idea number {number}", user=f"U00{number}")
        figures: dict[str, list[tuple[float, float, int]]] = {name: [] for name in apps}
        for clicker in apps.values():
            clicker.clicks(20)  # warm-up
        for _ in range(args.rounds):
            for name, clicker in apps.items():
                figures[name].append(clicker.clicks(args.n))
        print(f"{args.rounds} rounds of {args.n} page clicks each, answered one at a time")
        print(f"{'respond':<12}{'wall ms/click':>15}{'CPU ms/click':>14}{'connections':>13}")
        for name, runs in figures.items():
            wall = statistics.median(run[0] for run in runs)
            cpu = statistics.median(run[1] for run in runs)
            opened = sum(run[2] for run in runs)
            print(f"{name:<12}{wall:>15.2f}{cpu:>14.2f}{opened:>13}")
        database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
