"""A clock the test moves by hand, for code that takes one (``clock: Clock``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.base import utcnow


class ManualClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
