"""A token bucket per client address: for the public verification page (every request takes a
token), and for wrong API keys (only a failed sign-in or key check takes one, and a client whose
bucket is empty is not asked for its key at all until it refills: :meth:`TokenBuckets.wait`).

Each client may make ``burst`` requests at once, then one more every
``60 / per_minute`` seconds; beyond, 429 with ``Retry-After``. The buckets
live in this process's memory (several service instances each count their
own); full buckets are forgotten, so a crowd of one-time visitors does not
grow the table without bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000  # buckets kept before the full ones are dropped


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """``take(client)``: 0 when the request may go ahead, else the seconds to wait."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic):
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and burst")
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self.clock = clock
        self.buckets: dict[str, _Bucket] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get(client)
            if bucket is None:
                if len(self.buckets) >= MAX_CLIENTS:
                    self._forget_full(now)
                bucket = self.buckets[client] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def wait(self, client: str) -> float:
        """The seconds until ``client`` has a token again (0: now), taking none: a client never
        seen has a full bucket, so checking adds nothing to the table."""
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get(client)
            if bucket is None:
                return 0.0
            tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full = [
            client
            for client, bucket in self.buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst
        ]
        for client in full:
            del self.buckets[client]
        if len(self.buckets) >= MAX_CLIENTS:  # all busy: drop the longest idle tenth, never all
            # (clearing every bucket would let a client rotating addresses reset its own)
            idle_first = sorted(self.buckets, key=lambda client: self.buckets[client].at)
            for client in idle_first[: max(1, MAX_CLIENTS // 10)]:
                del self.buckets[client]

    @staticmethod
    def retry_after(wait_s: float) -> str:
        return str(max(1, math.ceil(wait_s)))
