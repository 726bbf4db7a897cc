"""Issue 14: a real `notifier worker` claims a message, waits for its rate-limit slot (the
limit's longest wait, 30 s), calls Twilio and is SIGKILLed while Twilio's answer is on its way.
The reconciler searches Twilio from the moment the call started, not from the claim: it finds
the message Twilio took and does not send it again. PostgreSQL, Redis (the broker and the shared
rate limit), the fake Twilio over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

import notifier
from notifier.pipeline.ratelimit import RedisRateLimiter
from notifier.store.timeline import message_records
from notifier.workers.runtime import build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.faults import Supervisor, placed, supervisor
from tests.providers import provider_settings

pytestmark = pytest.mark.faults

SMS_PER_SECOND = 1 / 29  # a slot every 29 s: the next send waits just under the longest, 30 s
SLOW_POLICY = f"""
[retry]
max_attempts = 6
base_seconds = 2.0
max_seconds = 300.0
[rate_limits]
sms = {SMS_PER_SECOND}
"""


def take_the_next_sms_slot(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        RedisRateLimiter(client).acquire("sms", SMS_PER_SECOND)
    finally:
        client.close()


def test_a_worker_killed_after_a_late_send_has_its_message_found_not_sent_twice(
    postgres_url: str,
    redis_url: str,
    supervise: list[Supervisor],
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    policy = tmp_path / "notifier.toml"
    policy.write_text(SLOW_POLICY)
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy, broker_url=redis_url)
    processes = supervisor(supervise, tmp_path, settings)
    processes.start_workers(1, processes=1)
    take_the_next_sms_slot(redis_url)
    fake_twilio.hang_next(1, 8.0)  # Twilio takes it, and answers within the 10 s timeout
    producer = build_runtime(settings)
    notifier.publish(placed(1, "slow-claim"), runtime=producer)

    wait_until(lambda: len(fake_twilio.messages) == 1, timeout=90, what="Twilio took it")
    processes.kill_a_worker_process(0)  # before the answer, so before the outcome is written
    [lost] = message_records(postgres_url)
    assert lost["status"] == "sending"
    tick(producer, datetime.now(UTC) + timedelta(minutes=2))
    producer.close()

    [accepted] = fake_twilio.messages
    [found] = message_records(postgres_url)
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert found["history"][-1]["outcome"] == "reconciled"
