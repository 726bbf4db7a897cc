"""A tick's due messages through Redis to a real `notifier worker` (dramatiq), 50 ids per queue
message: each message is sent once, by the `deliver_batch` actor."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import dramatiq
import pytest
import redis
from sqlalchemy import select

from notifier import ports
from notifier.pipeline.scan import IDS_PER_MESSAGE
from notifier.store.db import session_scope
from notifier.store.models import Notification
from notifier.vocabulary import Kind
from notifier.workers.broker import QUEUE
from notifier.workers.runtime import build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import WorkerStarter, settings_for, wait_until
from tests.pipeline.test_tick_batches import empty, fill_orders, schedule

pytestmark = pytest.mark.slow


def queued_messages(redis_url: str) -> list[dramatiq.Message[Any]]:
    """The dramatiq messages waiting in the queue, oldest first."""
    client = redis.Redis.from_url(redis_url)
    try:
        ids = client.lrange(f"dramatiq:{QUEUE}", 0, -1)
        bodies = client.hmget(f"dramatiq:{QUEUE}.msgs", ids) if ids else []
        return [dramatiq.Message.decode(body) for body in bodies if isinstance(body, bytes)]
    finally:
        client.close()


def outcomes(db_url: str) -> list[tuple[Kind, str, int]]:
    with session_scope(db_url) as session:
        query = select(Notification.kind, Notification.status, Notification.attempts)
        return [(kind, str(status), attempts) for kind, status, attempts in session.execute(query)]


def test_a_ticks_due_messages_reach_the_worker_50_ids_per_message_and_go_out_once(
    postgres_url: str, redis_url: str, start_worker: WorkerStarter
) -> None:
    empty(postgres_url)
    now = datetime.now(UTC)  # the worker claims with its own clock
    # transactional (no quiet hours) and without a customer: delivery skips them
    scheduled = schedule(postgres_url, 120, now, Kind.ORDER_CONFIRMED)
    fill_orders(postgres_url, 130, vip_every=0, now=now)  # 98 late orders, 13 without customer
    producer = build_runtime(settings_for(postgres_url, broker_url=redis_url))

    handed = tick(producer, now)
    producer.close()

    assert handed == len(scheduled) + 98
    waiting = queued_messages(redis_url)
    assert {m.actor_name for m in waiting} == {ports.DELIVER_BATCH}
    assert len(waiting) == math.ceil(98 / IDS_PER_MESSAGE) + math.ceil(120 / IDS_PER_MESSAGE)
    ids = [row_id for m in waiting for row_id in m.args[0]]
    assert len(ids) == len(set(ids)) == handed

    start_worker({})
    wait_until(
        lambda: all(status not in ("queued", "sending") for _, status, _ in outcomes(postgres_url)),
        timeout=60,
        what="every handed message delivered",
    )
    done = outcomes(postgres_url)
    assert Counter((kind, status) for kind, status, _ in done) == Counter(
        {
            (Kind.DELAY_NOTICE, "sent"): 85,
            (Kind.DELAY_NOTICE, "skipped"): 13,
            (Kind.ORDER_CONFIRMED, "skipped"): 120,
        }
    )
    assert {attempts for _, _, attempts in done} == {1}
    assert queued_messages(redis_url) == []
