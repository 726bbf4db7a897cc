"""Messages per second per sender, shared by every worker process.

A generic cell rate algorithm: each send reserves the next free slot, spaced `1/rate` apart, and
waits until its slot. On Redis the reservation is one Lua script over Redis' own clock, so all
processes share one schedule whatever their clocks say; the in-process twin serves the embedded
mode.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

# KEYS[1]: the sender's key. ARGV[1]: the spacing in microseconds. Returns the wait in µs.
RESERVE_SLOT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local spacing = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or now)
if next_free < now then next_free = now end
local ttl_ms = math.ceil((next_free - now + spacing) / 1000) + 1000
redis.call('SET', KEYS[1], next_free + spacing, 'PX', ttl_ms)
return next_free - now
"""
KEY_PREFIX = "notifier:rate:"
MAX_WAIT_SECONDS = 30.0


class RateLimiter(Protocol):
    """Waits until the sender may send one more message."""

    def acquire(self, sender: str, per_second: float) -> float:
        """Block until this send's slot; the seconds waited."""


Sleep = Callable[[float], None]


def _wait(microseconds: float, sleep: Sleep) -> float:
    seconds = min(microseconds / 1_000_000, MAX_WAIT_SECONDS)
    if seconds > 0:
        sleep(seconds)
    return seconds


class RedisRateLimiter:
    """The schedule lives in Redis, shared by every process that sends as the same sender."""

    def __init__(self, client: redis.Redis, sleep: Sleep = time.sleep) -> None:
        self._reserve = client.register_script(RESERVE_SLOT)
        self._sleep = sleep

    def acquire(self, sender: str, per_second: float) -> float:
        spacing = int(1_000_000 / per_second)
        wait = self._reserve(keys=[KEY_PREFIX + sender], args=[spacing])
        return _wait(float(wait), self._sleep)


class LocalRateLimiter:
    """The same schedule, kept in this process (embedded mode)."""

    def __init__(self, sleep: Sleep = time.sleep) -> None:
        self._next_free: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sleep = sleep

    def acquire(self, sender: str, per_second: float) -> float:
        spacing = 1_000_000 / per_second
        with self._lock:
            now = time.monotonic() * 1_000_000
            slot = max(self._next_free.get(sender, now), now)
            self._next_free[sender] = slot + spacing
        return _wait(slot - now, self._sleep)
