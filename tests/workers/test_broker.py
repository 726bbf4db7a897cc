"""The Redis broker's failure detection: a dead worker's messages come back within seconds."""

from __future__ import annotations

from typing import Any

import dramatiq
import pytest

from notifier.workers.broker import QUEUE, make_redis_broker

pytestmark = pytest.mark.redis


def test_a_dead_workers_unacked_message_is_requeued_within_a_couple_hundred_commands(
    redis_url: str,
) -> None:
    dead, alive = make_redis_broker(redis_url), make_redis_broker(redis_url)
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name=QUEUE, actor_name="events.process", args=(1,), kwargs={}, options={}
    )
    dead.enqueue(message)
    taken = next(iter(dead.consume(QUEUE, prefetch=1, timeout=1000)))
    assert taken is not None and alive.client.llen(f"dramatiq:{QUEUE}") == 0
    # killed with SIGKILL: no more heartbeats; its last one is older than the timeout
    alive.client.zadd("dramatiq:__heartbeats__", {dead.broker_id: 0})

    for _ in range(200):  # what a busy worker sends in a fraction of a second
        alive.do_qsize(QUEUE)
        if alive.client.llen(f"dramatiq:{QUEUE}"):
            break

    requeued = alive.client.lrange(f"dramatiq:{QUEUE}", 0, -1)
    assert requeued == [taken.options["redis_message_id"].encode()]
