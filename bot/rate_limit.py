"""Client-side pacing within Slack's rate tiers, so a large round does not live on 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` calls per second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take a token if one is there now; never waits."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def acquire(self) -> float:
        """Wait for a token; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                pause = (1 - self._tokens) / self.rate
            time.sleep(pause)
            waited += pause


# Per minute, from Slack's published tiers (SLACK.md); chat.postMessage is paced per channel.
TIER_PER_MINUTE = {
    "conversations.open": 50,  # Tier 3
    "conversations.create": 20,  # Tier 2
    "conversations.invite": 50,  # Tier 3
    "conversations.history": 50,  # Tier 3
    "conversations.list": 20,  # Tier 2
    "users.info": 100,  # Tier 4
    "users.lookupByEmail": 50,  # Tier 3
}
POST_PER_CHANNEL_PER_SECOND = 1.0


class SlackPacer:
    def __init__(self, per_minute: dict[str, int] | None = None, speedup: float = 1.0):
        # ``speedup`` exists for tests of the pacing itself; production uses 1.
        limits = per_minute or TIER_PER_MINUTE
        self._buckets = {
            method: TokenBucket(rate * speedup / 60, burst=max(1, rate // 10))
            for method, rate in limits.items()
        }
        self._speedup = speedup
        self._channels: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def before(self, method: str, channel: str | None = None) -> None:
        bucket = self._buckets.get(method)
        if bucket:
            bucket.acquire()
        if method == "chat.postMessage" and channel:
            with self._lock:
                bucket = self._channels.setdefault(
                    channel, TokenBucket(POST_PER_CHANNEL_PER_SECOND * self._speedup, burst=3)
                )
            bucket.acquire()
