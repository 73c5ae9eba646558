"""One scheduler instance in a process of its own, for the two-instance test.

``python -m tests.scheduler.instance DATABASE_URL NAME`` runs a ``SchedulerService`` whose only
job ticks every ``TICK`` seconds; each run appends "NAME SLOT OUTCOME" to $COLLIDER_TICK_LOG,
where SLOT numbers the tick by its scheduled time and OUTCOME is what the delivery claim said.
SIGTERM stops it gracefully; the test uses SIGKILL to play a crash.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from datetime import timedelta

from models.db import Database
from scheduler import context
from scheduler.leadership import leadership_for
from scheduler.runtime import SchedulerService
from scheduler.specs import JobSpec
from services.delivery import once

TICK = 0.4
LEASE_SECONDS = 1.0


def slot_now() -> int:
    # Ticks fall on whole multiples of TICK since the epoch (the interval anchor is one), and a
    # run starts well within one tick of its time, so this names the scheduled tick.
    return int(time.time() * 1000) // int(TICK * 1000)


def tick() -> None:
    job_context = context.current()
    slot = slot_now()
    outcome = once(job_context.database, f"tick:{slot}", lambda: None, holder="x")
    with open(os.environ["COLLIDER_TICK_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{job_context.holder} {slot} {outcome.status.value}\n")


def wanted(_session: object) -> list[JobSpec]:
    return [JobSpec.every("collider:test:tick", f"{__name__}:tick", timedelta(seconds=TICK))]


def main(url: str, name: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    database = Database(url)
    service = SchedulerService(
        database,
        holder=name,
        wanted=wanted,  # type: ignore[arg-type]
        leadership=leadership_for(database, holder=name, lease_seconds=LEASE_SECONDS),
        retry_seconds=0.1,
        poll_seconds=0.1,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    service.start()
    print("started", flush=True)
    stopping.wait()
    service.stop()
    database.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
