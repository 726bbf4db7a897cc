"""Twilio answers nothing but 429 and 500 for 20 seconds in the middle of a run: once it is back,
every message goes out exactly once, within the retry policy (attempts, backoff)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from notifier.store.db import session_scope
from notifier.store.models import Notification
from notifier.workers.runtime import build_runtime
from tests.conftest import WorkerStarter, wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import Failure, FakeTwilio
from tests.faults import fault_settings, phone, placed, publish_batches, report, statuses
from tests.providers import provider_env

pytestmark = pytest.mark.faults

ORDERS = 400
OUTAGE = 20.0
# The shipped policy: 6 attempts, waits of 2, 4, 8, 16, 32 s (±50 %). A message failing all
# through the outage is tried again at most 48 s after it ends.
LONGEST_WAIT = 48.0


def test_after_twenty_seconds_of_429_and_500_every_message_is_sent_exactly_once(
    postgres_url: str,
    redis_url: str,
    start_worker: WorkerStarter,
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    settings = fault_settings(tmp_path, postgres_url, redis_url, fake_twilio, fake_smtp)
    start_worker(provider_env(settings))
    producer = build_runtime(settings)
    publish_batches(producer, [placed(n, "outage") for n in range(ORDERS)])
    producer.close()
    wait_until(lambda: len(fake_twilio.messages) >= 20, timeout=60, what="the first 20 sent")

    ends = fake_twilio.outage(OUTAGE)
    starts = ends - OUTAGE
    before = len(fake_twilio.messages)
    wait_until(lambda: statuses(postgres_url)["sent"] == ORDERS, timeout=OUTAGE + 150,
               what=f"{ORDERS} messages sent after the outage")  # fmt: skip
    recovered = time.monotonic() - ends

    attempts = fake_twilio.attempts
    refused = [a.outcome for a in attempts if isinstance(a.outcome, Failure)]
    during = [a for a in attempts if a.accepted and starts <= a.received_at < ends]
    per_number = Counter(m.to for m in fake_twilio.messages)
    with session_scope(postgres_url) as session:
        most_attempts = session.execute(select(func.max(Notification.attempts))).scalar_one()
    report(
        "provider_outage",
        orders=ORDERS,
        outage_s=OUTAGE,
        sent_before_outage=before,
        refused_answers=len(refused),
        refused_by_status=dict(Counter(f.status for f in refused)),
        most_attempts=most_attempts,
        all_sent_s_after_recovery=round(recovered, 1),
    )
    assert len(refused) >= ORDERS - before  # each message still waiting was refused at least once
    assert during == []
    assert set(per_number) == {phone(n) for n in range(ORDERS)}
    assert set(per_number.values()) == {1}
    assert statuses(postgres_url) == Counter({"sent": ORDERS})
    assert most_attempts <= 6
    assert recovered <= LONGEST_WAIT + 30
