"""``collider`` with every gunicorn worker under cProfile (for ``ack_vs_floor.py --profile``).

    COLLIDER_PROFILE_DIR=/tmp/prof python -m benchmarks.profiled_collider run --http ...

Each worker profiles itself from the end of its start-up (the app built) to its exit, by the
process's CPU clock (a gevent worker runs every request in one thread, so one profiler sees
them all; with gthread only the main thread would be seen; the sweeper and the scheduler run in
the background process, which is not profiled), and writes ``worker-PID.prof`` into the folder. ``python -m benchmarks.profiled_collider --report
DIR`` prints the workers' stats together.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any


def install(folder: Path) -> None:
    from bot.http import GunicornServer

    original = GunicornServer.load_config
    profiler = cProfile.Profile(time.process_time)

    def load_config(self: GunicornServer) -> None:
        original(self)
        stop = self.cfg.worker_exit

        def worker_exit(arbiter: Any, worker: Any) -> None:
            profiler.disable()
            profiler.dump_stats(folder / f"worker-{os.getpid()}.prof")
            stop(arbiter, worker)

        def post_worker_init(_worker: Any) -> None:
            profiler.enable()

        self.cfg.set("worker_exit", worker_exit)
        self.cfg.set("post_worker_init", post_worker_init)

    GunicornServer.load_config = load_config  # type: ignore[method-assign]


def report(folder: Path, top: int = 60) -> None:
    files = sorted(folder.glob("worker-*.prof"))
    if not files:
        raise SystemExit(f"no worker profiles in {folder}")
    stats = pstats.Stats(*map(str, files))
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        stats.sort_stats(order).print_stats(top)


def main() -> int:
    if sys.argv[1:2] == ["--report"]:
        report(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 60)
        return 0
    # ``collider run --http`` supervises a web and a background process, each started as
    # ``python -m ENTRY_MODULE``: this wrapper again, which profiles only the web one.
    from bot import supervisor

    supervisor.ENTRY_MODULE = "benchmarks.profiled_collider"
    if "--role" in sys.argv and "web" in sys.argv:
        if "gevent" in sys.argv or "gthread" not in sys.argv:
            # As ``collider run --http`` does before its imports; this wrapper imports first.
            from gevent import monkey

            monkey.patch_all()
        install(Path(os.environ["COLLIDER_PROFILE_DIR"]))
    from bot.cli import main as collider

    return collider()


if __name__ == "__main__":
    sys.exit(main())
