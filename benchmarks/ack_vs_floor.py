"""The ``/idea`` ack path against its floor: the project and a minimal Bolt app, one run.

Starts a LocalSlack, ``collider run --http`` on a fresh database, and ``benchmarks.floor_app``
(a slack_bolt app that checks the signature and only acks) under the same gunicorn settings,
side by side. Then it sends signed ``/idea`` commands to both in alternating chunks (project,
floor, floor, project, ...), so that whatever else runs on the machine weighs on both alike,
and prints each one's latency, throughput and server CPU per request, and the ratios.

Afterwards: every idea sent to the project is stored exactly once, and the similar-idea
suggestions of the flood arrive (how many ideas got them, and how long after their ack); then a
trickle at a normal day's pace (``--trickle`` ideas, one every ``--trickle-gap`` s) must get
its suggestions, every one.

    .venv/bin/python benchmarks/ack_vs_floor.py --backend both

Exit status 1 on an error, a lost or duplicated idea, a missing suggestion, or a missed target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.floor_app import ANSWER  # noqa: E402
from benchmarks.idea_ack_latency import (  # noqa: E402
    BOT_TOKEN,
    DEFAULT_POSTGRES,
    SIGNING_SECRET,
    collider_variables,
    each_backend,
    stored_bodies,
)
from bot.local.slack import LocalSlack  # noqa: E402
from bot.server_options import DEFAULT_THREADS, DEFAULT_WORKER_CLASS, WORKER_CLASSES  # noqa: E402
from tests.http_process import HttpCollider, HttpProcess, free_port  # noqa: E402
from tests.slack_driver import SlackDriver, sign  # noqa: E402

THROUGHPUT_RATIO_TARGET = 0.5  # at least half the floor's requests per second
P99_RATIO_TARGET = 3.0  # at most three times the floor's p99
USERS = 50
TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its children (the gunicorn workers)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    members = {pid}
    grown = True
    while grown:
        grown = False
        for child, parent in parents.items():
            if parent in members and child not in members:
                members.add(child)
                grown = True
    return sum(times.get(member, 0.0) for member in members)


@dataclass
class Side:
    name: str
    server: HttpProcess
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    errors: int = 0
    acked_at: dict[str, float] = field(default_factory=dict)  # response_url key -> ack time

    @property
    def sent(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("inf")

    @property
    def p99(self) -> float:
        if len(self.latencies_ms) < 2:
            return float("inf")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]

    @property
    def throughput(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / max(1, self.sent)


def send_chunk(side: Side, forms: list[tuple[str, str]], concurrency: int) -> None:
    """Send ``forms`` (response_url key, body) ``concurrency`` at a time; record into ``side``."""

    def send(item: tuple[str, str]) -> float | None:
        key, form = item
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(SIGNING_SECRET, form),
        }
        started = time.perf_counter()
        try:
            status, body = side.server.request("POST", "/slack/events", form, headers)
        except OSError:
            return None
        side.acked_at[key] = time.time()
        ok = status == 200 and ANSWER.encode() in body
        return (time.perf_counter() - started) * 1000 if ok else None

    cpu = tree_cpu_seconds(side.server.process.pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(send, forms))
    side.seconds += time.perf_counter() - started
    side.cpu_seconds += tree_cpu_seconds(side.server.process.pid) - cpu
    side.latencies_ms += [outcome for outcome in outcomes if outcome is not None]
    side.errors += sum(outcome is None for outcome in outcomes)


@dataclass(frozen=True)
class Suggested:
    ideas: int
    with_suggestions: int
    delays_ms: list[float]

    def describe(self) -> str:
        if not self.delays_ms:
            return f"{self.with_suggestions}/{self.ideas} ideas got suggestions"
        delays = sorted(self.delays_ms)
        p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
        return (
            f"{self.with_suggestions}/{self.ideas} ideas got suggestions; delay after the ack "
            f"p50 {statistics.median(delays):.0f} ms, p99 {p99:.0f} ms, max {delays[-1]:.0f} ms"
        )


def suggestions_for(slack: LocalSlack, acked_at: dict[str, float], wait: float) -> Suggested:
    """Wait up to ``wait`` s for a suggestion on each acked idea's response URL."""
    deadline = time.monotonic() + wait
    while True:
        arrived = {
            call["_key"]: call
            for call in slack.calls_to("response_url")
            if call.get("_key") in acked_at
        }
        if len(arrived) >= len(acked_at) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    times = {call.params["_key"]: call.at for call in slack.calls if call.method == "response_url"}
    delays = [1000 * (times[key] - acked_at[key]) for key in arrived if key in times]
    return Suggested(len(acked_at), len(arrived), delays)


def run_backend(backend: str, database_url: str, args: argparse.Namespace, workdir: Path) -> dict:
    prefix = f"Floor {uuid.uuid4().hex[:8]}"
    body = "a shared workshop for repairing bicycles, open on weekday evenings"
    with LocalSlack(token=BOT_TOKEN) as slack:
        builder = SlackDriver(None, slack, SIGNING_SECRET)  # type: ignore[arg-type]
        variables = collider_variables(slack, database_url)
        module = "bot"
        if args.profile:
            # The project's workers under cProfile: its figures are then not comparable.
            folder = Path(args.profile) / backend
            folder.mkdir(parents=True, exist_ok=True)
            variables["COLLIDER_PROFILE_DIR"] = str(folder)
            module = "benchmarks.profiled_collider"

        def forms(tag: str, start: int, count: int) -> list[tuple[str, str]]:
            made = []
            for number in range(start, start + count):
                key = f"{tag}-{prefix}-{number}".replace(" ", "_")
                made.append(
                    (
                        key,
                        builder.command_body(
                            "/idea",
                            f"{prefix} {tag} idea {number}: {body}",
                            user=f"UFLOOR{number % USERS:03d}",
                            trigger_id=f"{key}.trigger",
                            response_url=slack.response_url(key),
                        ),
                    )
                )
            return made

        floor_port = free_port()
        floor_args = ["benchmarks.floor_app", "--port", str(floor_port)]
        floor_args += ["--workers", str(args.workers), "--threads", str(args.threads)]
        floor_args += ["--worker-class", args.worker_class, "--signing-secret", SIGNING_SECRET]
        floor_args += ["--token", BOT_TOKEN, "--api-url", slack.api_url]
        with (
            HttpCollider(
                variables,
                workdir,
                workers=args.workers,
                threads=args.threads,
                worker_class=args.worker_class,
                module=module,
            ) as project_server,
            HttpProcess(floor_args, {}, workdir, floor_port) as floor_server,
        ):
            project = Side("project", project_server)
            floor = Side("floor", floor_server)
            # Warm-up, unmeasured: first requests pay one-off costs (imports, pools, auth.test).
            for side in (project, floor):
                send_chunk(Side("warm-up", side.server), forms("w", 0, args.warmup), 10)
            chunk = max(1, args.n // args.rounds)
            for number in range(args.rounds):
                order = (project, floor) if number % 2 == 0 else (floor, project)
                for side in order:
                    tag = "p" if side is project else "f"
                    send_chunk(side, forms(tag, number * chunk, chunk), args.concurrency)
            flood = suggestions_for(slack, project.acked_at, wait=args.suggestion_wait)
            trickle = Side("trickle", project_server)
            for item in forms("t", 0, args.trickle):
                send_chunk(trickle, [item], 1)
                time.sleep(args.trickle_gap)
            day = suggestions_for(slack, trickle.acked_at, wait=args.suggestion_wait)
        sent = Counter(f"{prefix} p idea {n}: {body}" for n in range(args.rounds * chunk))
        sent += Counter(f"{prefix} t idea {n}: {body}" for n in range(args.trickle))
        sent += Counter(f"{prefix} w idea {n}: {body}" for n in range(args.warmup))
        stored = stored_bodies(database_url, prefix)
    return {
        "backend": backend,
        "project": project,
        "floor": floor,
        "flood": flood,
        "day": day,
        "lost": sum((sent - stored).values()),
        "duplicated": sum((stored - sent).values()),
    }


def report(results: list[dict], args: argparse.Namespace) -> bool:
    print(
        f"\n/idea ack against the floor: {args.n} requests each in {args.rounds} alternating "
        f"chunks, concurrency {args.concurrency}, {args.workers} {args.worker_class} workers"
        + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        + f", {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    header = f"{'backend':<11}{'app':<9}{'p50 ms':>8}{'p99 ms':>8}{'req/s':>8}{'CPU ms/req':>12}"
    print(header + f"{'errors':>8}")
    print("-" * (len(header) + 8))
    good = True
    for result in results:
        for side in (result["project"], result["floor"]):
            print(
                f"{result['backend']:<11}{side.name:<9}{side.p50:>8.1f}{side.p99:>8.1f}"
                f"{side.throughput:>8.1f}{side.cpu_ms:>12.2f}{side.errors:>8}"
            )
    print()
    for result in results:
        project, floor = result["project"], result["floor"]
        speed = project.throughput / floor.throughput if floor.throughput else 0.0
        tail = project.p99 / floor.p99 if floor.p99 else float("inf")
        met = speed >= THROUGHPUT_RATIO_TARGET and tail <= P99_RATIO_TARGET and floor.errors == 0
        exact = result["lost"] == 0 and result["duplicated"] == 0 and project.errors == 0
        day: Suggested = result["day"]
        everyone = day.with_suggestions == day.ideas
        good = good and met and exact and everyone
        print(
            f"{result['backend']}: throughput {speed:.2f}x the floor (target >= "
            f"{THROUGHPUT_RATIO_TARGET}), p99 {tail:.2f}x (target <= {P99_RATIO_TARGET}): "
            f"{'met' if met else 'MISSED'}; lost {result['lost']}, duplicated "
            f"{result['duplicated']}"
        )
        print(f"  flood: {result['flood'].describe()}")
        print(f"  a normal day ({args.trickle_gap} s apart): {day.describe()}")
    return good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="requests to each app (1000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating chunks each (10)")
    parser.add_argument("--concurrency", type=int, default=20, help="in flight at once (20)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="gthread threads")
    parser.add_argument("--worker-class", choices=WORKER_CLASSES, default=DEFAULT_WORKER_CLASS)
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured requests first (40)")
    parser.add_argument("--trickle", type=int, default=10, help="ideas at a day's pace (10)")
    parser.add_argument("--trickle-gap", type=float, default=0.5, help="seconds apart (0.5)")
    parser.add_argument("--suggestion-wait", type=float, default=30.0, help="seconds (30)")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="profile the project's workers into DIR/BACKEND (figures then not comparable); "
        "read with: python -m benchmarks.profiled_collider --report DIR/BACKEND",
    )
    parser.add_argument(
        "--postgres-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    results = [
        run_backend(backend, url, args, workdir)
        for backend, url, workdir in each_backend(
            args.backend, args.postgres_url, "collider-floor-"
        )
    ]
    return 0 if report(results, args) else 1


if __name__ == "__main__":
    sys.exit(main())
