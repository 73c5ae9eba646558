"""gunicorn's settings for ``collider run --http`` (light: the CLI imports it at start-up)."""

from __future__ import annotations

from typing import Any

WORKER_CLASSES = ("gevent", "gthread")
# Chosen by measurement on 2 cores (benchmarks/README.md, "Ack path against the floor").
DEFAULT_WORKER_CLASS = "gevent"
# gthread's threads per worker: 4 beat 8 and 16 on 2 cores (fewer threads contend less for the
# GIL and queue less on SQLite's lock; benchmarks/README.md, "Workers and threads").
DEFAULT_THREADS = 4
# A gevent worker serves this many connections at once, each a greenlet: a client that sends
# its headers and stalls holds one greenlet, not a thread the others need.
GEVENT_CONNECTIONS = 1000


def server_options(
    bind: str,
    *,
    workers: int,
    worker_class: str = DEFAULT_WORKER_CLASS,
    threads: int = DEFAULT_THREADS,
    log_level: str = "info",
) -> dict[str, Any]:
    """gunicorn's settings for ``collider run --http``; the benchmarks serve their minimal
    Bolt app with the same ones, so the two are compared under the same server."""
    options: dict[str, Any] = {
        "bind": bind,
        "workers": workers,
        "worker_class": worker_class,
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": log_level,
    }
    if worker_class == "gthread":
        options["threads"] = threads
    else:
        options["worker_connections"] = GEVENT_CONNECTIONS
    return options
