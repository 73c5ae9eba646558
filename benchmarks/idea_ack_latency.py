"""How fast does ``collider run --http`` confirm ``/idea``, and does it lose or double any?

Starts a LocalSlack and the real ``collider run --http`` (gunicorn) as a subprocess on a fresh
database, sends ``--n`` signed ``/idea`` commands ``--concurrency`` at a time, each with its own
text and trigger_id, and measures the time from sending a request to reading the full ack. Then it
compares the texts sent with the texts stored: every idea must be stored exactly once.

    /work/venv/bin/python benchmarks/idea_ack_latency.py --n 500 --concurrency 20 --backend both

Exit status 1 when an idea is lost or duplicated, a request fails, or a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

# Run as a file from anywhere: the project root holds bot/, models/ and tests/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bot.local.slack import LocalSlack  # noqa: E402
from models import Idea  # noqa: E402
from models.db import Database  # noqa: E402
from tests.databases import scratch_postgres_database  # noqa: E402
from tests.http_process import HttpCollider, HttpEndpoint  # noqa: E402
from tests.slack_driver import SlackDriver, sign  # noqa: E402

P99_TARGET_MS = 300.0
THROUGHPUT_TARGET = 100.0
BOT_TOKEN = "xoxb-benchmark-token"
SIGNING_SECRET = "benchmark-signing-secret"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
USERS = 50  # ideas come from this many people, so participants are both created and found


@dataclass(frozen=True)
class Result:
    backend: str
    sent: int
    latencies_ms: list[float]
    seconds: float
    errors: int
    lost: int
    duplicated: int

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]

    @property
    def throughput(self) -> float:
        return self.sent / self.seconds

    @property
    def correct(self) -> bool:
        return self.errors == 0 and self.lost == 0 and self.duplicated == 0

    @property
    def on_target(self) -> bool:
        return self.p99 < P99_TARGET_MS and self.throughput >= THROUGHPUT_TARGET


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.sqlite3'}"


def each_backend(backend: str, postgres_url: str, prefix: str) -> Iterator[tuple[str, str, Path]]:
    """``(backend, database URL, scratch folder)`` for ``backend`` ("both": SQLite, then
    PostgreSQL): a SQLite file in a temporary folder, or a scratch PostgreSQL database, each
    removed once the caller moves on to the next."""
    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        for name in backends:
            workdir = Path(scratch) / name
            workdir.mkdir()
            database = (
                sqlite_database(workdir)
                if name == "sqlite"
                else scratch_postgres_database(postgres_url, "collider_bench")
            )
            with database as url:
                yield name, url, workdir


def collider_variables(slack: LocalSlack, database_url: str) -> dict[str, str]:
    """The environment of a benchmarked ``collider run --http``."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "COLLIDER_LOG_LEVEL": "WARNING",
    }


def send_forms(
    server: HttpEndpoint, forms: list[str], concurrency: int
) -> tuple[list[tuple[str, float | None]], float]:
    """Each form with its ack's latency in ms (None: no good ack), and the wall time."""

    def send(form: str) -> tuple[str, float | None]:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(SIGNING_SECRET, form),
        }
        started = time.perf_counter()
        try:
            status, body = server.request("POST", "/slack/events", form, headers)
        except OSError:
            return form, None
        elapsed = (time.perf_counter() - started) * 1000
        return form, elapsed if status == 200 and b"Saved your idea" in body else None

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(send, forms))
    return outcomes, time.perf_counter() - started


def send_commands(
    server: HttpEndpoint, forms: list[str], concurrency: int
) -> tuple[list[float], int, float]:
    """Latencies (ms) of the successful acks, the number of failures, and the wall time."""
    outcomes, seconds = send_forms(server, forms, concurrency)
    latencies = [latency for _, latency in outcomes if latency is not None]
    return latencies, len(outcomes) - len(latencies), seconds


def stored_bodies(database_url: str, prefix: str) -> Counter[str]:
    database = Database(database_url)
    try:
        with database.session() as session:
            bodies = session.scalars(select(Idea.body).where(Idea.body.startswith(prefix)))
            return Counter(bodies)
    finally:
        database.dispose()


def resident_texts() -> list[str]:
    """Real idea texts (OmaStadi proposals) from ../shared/data, in a fixed shuffled order."""
    import random

    from benchmarks.common import DATA_DIR, read_rows

    texts = [row.text for row in read_rows(DATA_DIR / "omastadi_plan_groups.csv")]
    random.Random(7).shuffle(texts)
    return texts


def run_backend(backend: str, database_url: str, args: argparse.Namespace, workdir: Path) -> Result:
    real_texts = resident_texts() if args.texts == "shared" else []
    with LocalSlack(token=BOT_TOKEN) as slack:
        variables = collider_variables(slack, database_url)
        forms_for = SlackDriver(None, slack, SIGNING_SECRET)  # type: ignore[arg-type]
        prefix = f"Benchmark {uuid.uuid4().hex[:8]}"

        def text(number: int) -> str:
            if args.texts == "template":
                # Every idea resembles the others: each one gets similar-idea suggestions.
                body = "a shared workshop for repairing bicycles, open on weekday evenings"
            else:
                body = real_texts[number % len(real_texts)][:2800]
            return f"{prefix} idea {number}: {body}"

        def forms(start: int, count: int) -> list[str]:
            return [
                forms_for.command_body(
                    "/idea",
                    text(number),
                    user=f"UBENCH{number % USERS:03d}",
                    trigger_id=f"{prefix}.{number}.trigger",
                )
                for number in range(start, start + count)
            ]

        with HttpCollider(
            variables,
            workdir,
            workers=args.workers,
            threads=args.threads,
            worker_class=args.worker_class,
        ) as server:
            # Warm-up: each worker's first requests pay one-off costs (auth.test, pool).
            warmup = forms(0, args.warmup)
            send_commands(server, warmup, args.concurrency)
            measured = forms(args.warmup, args.n)
            latencies, errors, seconds = send_commands(server, measured, args.concurrency)
        sent = Counter(parse_text(form) for form in warmup + measured)
        stored = stored_bodies(database_url, prefix)
        return Result(
            backend=backend,
            sent=len(measured),
            latencies_ms=latencies or [float("inf")],
            seconds=seconds,
            errors=errors,
            lost=sum((sent - stored).values()),
            duplicated=sum((stored - sent).values()),
        )


def parse_text(form: str) -> str:
    return parse_qs(form)["text"][0]


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    threads = args.threads if args.threads is not None else "default"
    print(
        f"\n/idea ack latency: n={args.n}, concurrency={args.concurrency}, "
        f"workers={args.workers}, threads={threads}, cores={os.cpu_count()}"
    )
    header = (
        f"{'backend':<11}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'cmd/s':>8}"
        f"{'errors':>8}{'lost':>6}{'dup':>5}  targets"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        verdict = "met" if result.on_target else "MISSED"
        print(
            f"{result.backend:<11}{result.p50:>8.1f}{result.p99:>8.1f}"
            f"{max(result.latencies_ms):>8.1f}{result.throughput:>8.1f}"
            f"{result.errors:>8}{result.lost:>6}{result.duplicated:>5}  {verdict}"
        )
    print(f"targets: p99 < {P99_TARGET_MS:.0f} ms, >= {THROUGHPUT_TARGET:.0f} commands/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="commands to measure (default 500)")
    parser.add_argument("--concurrency", type=int, default=20, help="in flight at once (20)")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql", "both"], default="both", help="(both)"
    )
    parser.add_argument(
        "--texts",
        choices=("template", "shared"),
        default="template",
        help="one short sentence varied (default; every idea then gets similar-idea "
        "suggestions), or real resident proposals from ../shared/data (long texts)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker")
    parser.add_argument(
        "--worker-class", choices=("gevent", "gthread"), default=None, help="(collider's default)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="unmeasured commands first (default 20)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where a scratch database may be created and dropped",
    )
    args = parser.parse_args()
    results = [
        run_backend(backend, url, args, workdir)
        for backend, url, workdir in each_backend(
            args.backend, args.postgres_url, "collider-bench-"
        )
    ]
    print_table(results, args)
    return 0 if all(result.correct and result.on_target for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
