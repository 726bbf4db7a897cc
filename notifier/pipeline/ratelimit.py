"""Messages per second per sender, shared by every worker process.

A generic cell rate algorithm: each send reserves the next free slot, spaced `1/rate` apart, and
waits until its slot. A send whose slot is more than MAX_WAIT_SECONDS away reserves nothing and
raises NoSlotSoon: it is deferred (back to the queue until then), never sent early, so the rate
holds however far reservations run ahead. On Redis the reservation is one Lua script over Redis'
own clock, so all processes share one schedule whatever their clocks say; the in-process twin
serves the embedded mode.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

# KEYS[1]: the sender's key. ARGV[1]: the spacing, ARGV[2]: the longest wait, in microseconds.
# Returns the wait in µs, or minus the wait (nothing reserved) when it is longer than ARGV[2].
RESERVE_SLOT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local spacing = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or now)
if next_free < now then next_free = now end
if next_free - now > tonumber(ARGV[2]) then return -(next_free - now) end
local ttl_ms = math.ceil((next_free - now + spacing) / 1000) + 1000
redis.call('SET', KEYS[1], next_free + spacing, 'PX', ttl_ms)
return next_free - now
"""
KEY_PREFIX = "notifier:rate:"
MAX_WAIT_SECONDS = 30.0


class NoSlotSoon(Exception):
    """The sender's next free slot is further away than a send may wait: defer the message."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limit: the next free slot is {seconds:.1f} s away")
        self.seconds = seconds


class RateLimiter(Protocol):
    """Waits until the sender may send one more message."""

    def acquire(self, sender: str, per_second: float) -> float:
        """Block until this send's slot; the seconds waited. NoSlotSoon when it is too far."""


Sleep = Callable[[float], None]


def _wait(microseconds: float, sleep: Sleep) -> float:
    seconds = microseconds / 1_000_000
    if seconds < 0:
        raise NoSlotSoon(-seconds)
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
        longest = int(MAX_WAIT_SECONDS * 1_000_000)
        wait = self._reserve(keys=[KEY_PREFIX + sender], args=[spacing, longest])
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
            if slot - now > MAX_WAIT_SECONDS * 1_000_000:
                return _wait(now - slot, self._sleep)  # raises NoSlotSoon, nothing reserved
            self._next_free[sender] = slot + spacing
        return _wait(slot - now, self._sleep)
