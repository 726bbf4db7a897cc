"""Redis dies in the middle of a run and comes back empty (no persistence): every queued message
id is gone. Events stored but never processed, and messages queued but never delivered, come
back through the scheduler's sweeper; every customer gets their message exactly once."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from dramatiq.errors import BrokerConnectionError

from notifier.pipeline.reconcile import EVENT_GRACE
from notifier.store.db import session_scope
from notifier.store.models import Event, Notification
from notifier.vocabulary import EventStatus, NotificationStatus
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import notifier_command, wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.faults import (
    OwnRedis,
    Supervisor,
    fault_settings,
    phone,
    placed,
    publish_batches,
    report,
    statuses,
    supervisor,
)

pytestmark = pytest.mark.faults

ORDERS = 1_000
# events[:FIRST] first, events[FIRST:BURST] just before the crash, events[BURST:DURING_OUTAGE]
# while Redis is down, the rest after it is back
FIRST, BURST, DURING_OUTAGE = 400, 700, 800


def publish_as_a_shop_would(runtime: Runtime, events: list[dict[str, Any]]) -> int:
    """Publish, and on an error publish the same events again until it goes through (a shop
    retries a failed request); how many errors it saw."""
    errors = 0
    while True:
        try:
            publish_batches(runtime, events)
            return errors
        except (redis.RedisError, BrokerConnectionError):
            errors += 1
            time.sleep(0.2)


def logged(stderr: str) -> list[str]:
    """The messages of a command's JSON log lines."""
    return [json.loads(line)["message"] for line in stderr.splitlines() if line.startswith("{")]


def waiting(db_url: str) -> dict[str, int]:
    """Events not processed yet, and messages queued or being sent."""
    with session_scope(db_url) as session:
        events = session.query(Event).filter(Event.status == EventStatus.RECEIVED).count()
        messages = Counter(
            str(status)
            for (status,) in session.query(Notification.status).filter(
                Notification.status.in_((NotificationStatus.QUEUED, NotificationStatus.SENDING))
            )
        )
    return {"events": events, **messages}


def quiet(twilio: FakeTwilio, broker: OwnRedis, seconds: float = 5.0) -> None:
    """Wait until the broker's queue is empty and nothing was sent for `seconds`."""
    last = (-1, 0.0)

    def still() -> bool:
        nonlocal last
        count, now = len(twilio.attempts), time.monotonic()
        if count != last[0] or broker.depth():
            last = (count, now)
        return now - last[1] >= seconds

    wait_until(still, timeout=120, what=f"the workers idle for {seconds:.0f} s")


def test_a_redis_that_restarts_empty_loses_no_event_and_no_message(
    postgres_url: str,
    own_redis: OwnRedis,
    supervise: list[Supervisor],
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    settings = fault_settings(tmp_path, postgres_url, own_redis.url, fake_twilio, fake_smtp)
    processes = supervisor(supervise, tmp_path, settings)
    processes.start_workers(1, processes=2)
    processes.start_scheduler(interval=1.0)
    producer = build_runtime(settings)
    events = [placed(n, "redis") for n in range(ORDERS)]
    publish_batches(producer, events[:FIRST])
    wait_until(lambda: len(fake_twilio.messages) >= 150, timeout=90,
               what="150 messages sent before the crash")  # fmt: skip
    # At the crash, messages wait in Redis for a retry (Twilio refuses them for a while) and a
    # burst of events just published waits in the queue.
    fake_twilio.outage(8.0)
    time.sleep(3)
    publish_batches(producer, events[FIRST:BURST])

    own_redis.crash()
    crashed_at = len(fake_twilio.messages)
    outage = events[BURST:DURING_OUTAGE]
    publisher_errors = publish_as_a_shop_would(producer, outage[:1])  # stored, not enqueued
    time.sleep(2)
    own_redis.start()  # the same port, empty
    publisher_errors += publish_as_a_shop_would(producer, outage)
    publish_batches(producer, events[DURING_OUTAGE:])
    producer.close()
    quiet(fake_twilio, own_redis)
    stranded = waiting(postgres_url)

    # Ten minutes later (the sweeper's grace), as `notifier tick --now` puts it:
    later = datetime.now(UTC) + EVENT_GRACE + timedelta(minutes=1)
    swept = time.monotonic()
    tick = subprocess.run(
        notifier_command("tick", "--now", later.isoformat()),
        env=processes.env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    wait_until(lambda: statuses(postgres_url) == Counter({"sent": ORDERS}), timeout=120,
               what=f"{ORDERS} messages sent after the sweep")  # fmt: skip
    per_number = Counter(m.to for m in fake_twilio.messages)
    report(
        "redis_restart",
        orders=ORDERS,
        sent_before_crash=crashed_at,
        publisher_errors=publisher_errors,
        stranded=stranded,
        tick=[tick.stdout.strip(), *logged(tick.stderr)],
        all_sent_s_after_sweep=round(time.monotonic() - swept, 1),
        duplicates=sum(count - 1 for count in per_number.values()),
    )
    assert stranded["events"] > 0 and stranded["queued"] > 0  # the crash stranded both
    assert set(per_number) == {phone(n) for n in range(ORDERS)}
    assert set(per_number.values()) == {1}
