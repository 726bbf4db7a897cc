"""The production shape: events through Redis to a real `notifier worker`, on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Event
from notifier.store.timeline import message_records
from notifier.vocabulary import EventStatus
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import (
    DATA,
    JOURNEY_OUTCOME,
    JOURNEY_SENT,
    WorkerStarter,
    app_env,
    example,
    journey,
    notifier_command,
    outcome,
    sent_kinds,
    settings_for,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def producer(postgres_url: str, redis_url: str) -> Runtime:
    """The publishing side: stores events in PostgreSQL and enqueues their ids to Redis."""
    return build_runtime(settings_for(postgres_url, broker_url=redis_url))


def sent(db_url: str, order_id: str) -> list[dict[str, Any]]:
    return [r for r in message_records(db_url, order_id=order_id) if r["status"] == "sent"]


def all_events_processed(db_url: str) -> bool:
    with session_scope(db_url) as session:
        return session.query(Event).filter(Event.status == EventStatus.RECEIVED).count() == 0


def settled(db_url: str) -> bool:
    """Every event processed and every message due now out of the queue."""
    records = message_records(db_url)
    return all_events_processed(db_url) and not any(
        r["status"] in ("queued", "sending") for r in records
    )


def publish_as_in_life(runtime: Runtime, db_url: str, events: list[dict[str, Any]]) -> None:
    """One event after the other, each handled before the next arrives (hours apart, in life)."""
    for event in events:
        notifier.publish(event, runtime=runtime)
        wait_until(lambda: settled(db_url), what=f"{event['event_id']} handled")


def test_journey_published_twice_through_redis_sends_one_message_per_kind(
    producer: Runtime, worker: subprocess.Popen[bytes], postgres_url: str, redis_url: str
) -> None:
    publish_as_in_life(producer, postgres_url, journey())
    publish_as_in_life(producer, postgres_url, journey())
    listed = subprocess.run(
        notifier_command("messages", "--order", "ord-5001", "--json"),
        env=app_env(postgres_url, redis_url), capture_output=True, text=True, check=True,
    )  # fmt: skip
    records = json.loads(listed.stdout)
    assert outcome(records) == JOURNEY_OUTCOME
    assert worker.poll() is None


def test_same_event_published_by_eight_processes_at_once_is_sent_once(
    worker: subprocess.Popen[bytes], postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "placed.json"
    path.write_text(json.dumps(example("order_placed")))
    env = app_env(postgres_url, redis_url)
    publishers = [
        subprocess.Popen(notifier_command("publish", str(path)), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=120) for p in publishers]
    assert all(p.returncode == 0 for p in publishers), outputs
    answers = Counter(out.split()[0] for out, _ in outputs)
    assert answers == Counter({"accepted": 1, "duplicate": 7})
    wait_until(lambda: len(sent(postgres_url, "ord-5001")) == 1, what="the confirmation")
    wait_until(lambda: all_events_processed(postgres_url), what="the event processed")
    records = message_records(postgres_url, order_id="ord-5001")
    assert [(r["kind"], r["status"]) for r in records] == [("order_confirmed", "sent")]


def test_shipped_after_delivered_sends_nothing_through_the_worker(
    producer: Runtime, worker: subprocess.Popen[bytes], postgres_url: str
) -> None:
    notifier.publish(example("order_placed"), runtime=producer)
    notifier.publish(example("shipment_delivered"), runtime=producer)
    wait_until(lambda: len(sent(postgres_url, "ord-5001")) == 2, what="2 messages sent")
    notifier.publish(example("order_shipped"), runtime=producer)
    wait_until(lambda: all_events_processed(postgres_url), what="the stale event processed")
    kinds = sent_kinds(message_records(postgres_url, order_id="ord-5001"))
    assert kinds == ["order_confirmed", "order_delivered"]


def test_journey_file_is_in_the_test_data() -> None:
    assert (DATA / "journey.jsonl").read_text().count("\n") >= 6


def test_messages_of_one_order_reach_the_customer_in_the_order_planned(
    producer: Runtime, worker: subprocess.Popen[bytes], postgres_url: str
) -> None:
    for event in journey():  # published in a burst: the workers pick them up concurrently
        notifier.publish(event, runtime=producer)
    wait_until(lambda: settled(postgres_url), what="the burst handled")
    records = sent(postgres_url, "ord-5001")
    by_send_time = [r["kind"] for r in sorted(records, key=lambda r: r["sent_at"])]
    by_plan = [r["kind"] for r in sorted(records, key=lambda r: r["id"])]
    assert by_send_time == by_plan
    # a delay notice still queued when the delivery arrives is dropped: never after delivery
    assert [k for k in by_plan if k != "delay_notice"] == [
        k for k in JOURNEY_SENT if k != "delay_notice"
    ]


def test_events_lost_by_a_flushed_redis_are_swept_back_and_sent(
    producer: Runtime, start_worker: WorkerStarter, postgres_url: str, redis_url: str
) -> None:
    notifier.publish(example("order_placed"), runtime=producer)  # no worker yet
    redis.Redis.from_url(redis_url).flushdb()  # Redis restarts empty: the message is gone
    start_worker({})
    tick(producer, datetime.now(UTC) + timedelta(minutes=11))
    wait_until(lambda: len(sent(postgres_url, "ord-5001")) == 1, what="the swept event's message")
