"""Slow clients against each server setup: gevent workers alone, gthread workers alone, and
each behind nginx (a buffering reverse proxy), measured in one run.

For each setup it starts a LocalSlack, ``collider run --http`` on a fresh SQLite database and,
for the proxied setups, an nginx in front of it (its own configuration and files in a scratch
folder). It measures ``/idea`` (``--n`` signed commands, ``--concurrency`` at a time) with no
slow clients, then again while ``--stalled`` connections have sent a request's headers and
nothing more (the body they announce never comes), and how long ``/healthz`` takes to answer
meanwhile. A request that gets no answer within ``--timeout`` seconds counts as an error.

    .venv/bin/python benchmarks/slow_clients.py
    .venv/bin/python benchmarks/slow_clients.py --stalled 64 --n 1000

nginx is Debian's ``nginx-light`` (or any nginx on PATH, or ``--nginx PATH``); without one, the
proxied setups are left out and the script says so. Issue 12, item 4: "a worker setup that slow
clients cannot starve (gevent, or a documented reverse proxy in front; measure both)".
Exit status 1 if a setup the README recommends (gevent alone, gthread behind nginx) lost an
idea or failed a request while the slow clients were there.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.idea_ack_latency import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    collider_variables,
    parse_text,
    send_forms,
    stored_bodies,
)
from bot.local.slack import LocalSlack  # noqa: E402
from tests.http_process import (  # noqa: E402
    HttpCollider,
    HttpEndpoint,
    free_port,
    stalled_clients,
)
from tests.slack_driver import SlackDriver  # noqa: E402

USERS = 50


@dataclass(frozen=True)
class Setup:
    name: str
    worker_class: str
    proxied: bool
    recommended: bool  # what the README tells people to run


SETUPS = (
    Setup("gevent ×2", "gevent", proxied=False, recommended=True),
    Setup("gthread 2×4", "gthread", proxied=False, recommended=False),
    Setup("nginx → gthread 2×4", "gthread", proxied=True, recommended=True),
    Setup("nginx → gevent ×2", "gevent", proxied=True, recommended=False),
)


@dataclass(frozen=True)
class Phase:
    setup: Setup
    stalled: int
    latencies_ms: list[float]
    errors: int
    seconds: float
    health_ms: float | None  # None: /healthz did not answer in time

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def p(self, q: int) -> float:
        if len(self.latencies_ms) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[q - 1]


NGINX_CONF = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream collider {{ server 127.0.0.1:{upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            # The defaults that matter here: nginx reads the whole request before it passes it
            # on (proxy_request_buffering on), so a stalled client costs gunicorn nothing.
            proxy_pass http://collider;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


@contextmanager
def nginx_in_front(nginx: str, upstream: int, root: Path) -> Iterator[int]:
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, upstream=upstream, port=port))
    process = subprocess.Popen(
        [
            nginx,
            "-p",
            str(root),
            "-c",
            str(conf),
            "-e",
            str(root / "nginx-error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        front = HttpEndpoint(port, timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if front.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "nginx did not start:\n" + (root / "nginx-error.log").read_text()
                )
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def send_ideas(
    front: HttpEndpoint, forms: list[str], concurrency: int
) -> tuple[dict[str, float], float]:
    """The latency (ms) of each acked idea by its text, and the wall time."""
    outcomes, seconds = send_forms(front, forms, concurrency)
    return {parse_text(form): ms for form, ms in outcomes if ms is not None}, seconds


def health_ms(front: HttpEndpoint) -> float | None:
    started = time.perf_counter()
    try:
        status, _ = front.request("GET", "/healthz")
    except OSError:
        return None
    return (time.perf_counter() - started) * 1000 if status == 200 else None


def measure(setup: Setup, args: argparse.Namespace, workdir: Path) -> tuple[list[Phase], int]:
    """Both phases of one setup, and how many of its ideas were lost or stored twice."""
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    with LocalSlack(token=BOT_TOKEN) as slack, ExitStack() as stack:
        forms_for = SlackDriver(None, slack, SIGNING_SECRET)  # type: ignore[arg-type]
        prefix = f"Slow {uuid.uuid4().hex[:8]}"
        numbers = itertools.count()

        def forms(count: int) -> list[str]:
            return [
                forms_for.command_body(
                    "/idea",
                    f"{prefix} idea {number}: a repair café in the library on Saturdays",
                    user=f"USLOW{number % USERS:03d}",
                    trigger_id=f"{prefix}.{number}.trigger",
                )
                for number in (next(numbers) for _ in range(count))
            ]

        server = stack.enter_context(
            HttpCollider(
                collider_variables(slack, database_url),
                workdir,
                workers=args.workers,
                threads=args.threads,
                worker_class=setup.worker_class,
            )
        )
        port = server.port
        if setup.proxied:
            port = stack.enter_context(nginx_in_front(args.nginx, server.port, workdir / "nginx"))
        front = HttpEndpoint(port, timeout=args.timeout)
        acked, _ = send_ideas(front, forms(args.warmup), args.concurrency)
        phases = []
        for stalled in (0, args.stalled):
            clients = stalled_clients(port, stalled)
            try:
                health = health_ms(front)
                measured, seconds = send_ideas(front, forms(args.n), args.concurrency)
            finally:
                for client in clients:
                    client.close()
            acked |= measured
            errors = args.n - len(measured)
            phases.append(Phase(setup, stalled, list(measured.values()), errors, seconds, health))
    stored = stored_bodies(database_url, prefix)
    # A request that timed out may still be stored (answered too late): not a fault. An acked
    # idea must be stored, and none twice.
    lost = sum(1 for text in acked if stored[text] == 0)
    duplicated = sum(max(0, copies - 1) for copies in stored.values())
    return phases, lost + duplicated


def print_table(phases: list[Phase], faults: Counter[str], args: argparse.Namespace) -> None:
    print(
        f"\n/idea with slow clients: {args.n} requests per phase, {args.concurrency} at a time, "
        f"timeout {args.timeout:.0f} s, {args.workers} workers, cores={os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'setup':<22}{'stalled':>8}{'healthz ms':>11}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8}{'faults':>7}"
    )
    print(header)
    print("-" * len(header))
    for phase in phases:
        health = f"{phase.health_ms:.0f}" if phase.health_ms is not None else "timeout"
        print(
            f"{phase.setup.name:<22}{phase.stalled:>8}{health:>11}{phase.throughput:>8.0f}"
            f"{phase.p(50):>8.1f}{phase.p(99):>8.1f}{phase.errors:>8}{faults[phase.setup.name]:>7}"
        )
    print("faults: ideas acked but not stored, or stored twice")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="/idea per phase (500)")
    parser.add_argument("--concurrency", type=int, default=20, help="in flight at once (20)")
    parser.add_argument("--stalled", type=int, default=32, help="slow clients (32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker (4)")
    parser.add_argument("--timeout", type=float, default=3.0, help="client timeout, s (3)")
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured requests first (40)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or shutil.which("/usr/sbin/nginx"))
    args = parser.parse_args()
    setups = [setup for setup in SETUPS if args.nginx or not setup.proxied]
    if not args.nginx:
        print("nginx not found (Debian: apt-get install nginx-light): proxied setups left out")
    phases: list[Phase] = []
    faults: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="collider-slow-") as scratch:
        for number, setup in enumerate(setups):
            workdir = Path(scratch) / str(number)
            workdir.mkdir()
            measured, faults[setup.name] = measure(setup, args, workdir)
            phases += measured
    print_table(phases, faults, args)
    bad = [
        phase
        for phase in phases
        if phase.setup.recommended and (phase.errors or faults[phase.setup.name])
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
