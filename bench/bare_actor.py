"""The bare queue for bench/throughput.py: a no-op dramatiq actor on the same broker settings.

It only counts what it handled (one Redis INCR), so the benchmark knows when the run is over.
"""

from __future__ import annotations

import os

import dramatiq
import redis

from notifier.workers.broker import make_redis_broker

URL = os.environ["BARE_BROKER_URL"]
dramatiq.set_broker(make_redis_broker(URL))
COUNTER = redis.Redis.from_url(URL)


@dramatiq.actor(actor_name="bare.noop", queue_name="default")
def noop(n: int) -> None:
    """Nothing but a count."""
    COUNTER.incr("bench:bare:done")
