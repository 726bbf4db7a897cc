"""Real channels in the production shape: Redis, PostgreSQL, a real worker, fake providers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import notifier
from notifier.store.timeline import message_records
from notifier.workers.runtime import build_runtime
from tests.conftest import WorkerStarter, example, journey, wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.providers import (
    JOURNEY_KINDS,
    content_sid,
    policy_text,
    provider_env,
    provider_settings,
)
from tests.workers.test_redis_postgres import publish_as_in_life

pytestmark = pytest.mark.slow


def statuses(db_url: str) -> Counter[str]:
    return Counter(r["status"] for r in message_records(db_url))


def test_journey_reaches_whatsapp_as_templates_and_email_once_per_kind(
    postgres_url: str,
    redis_url: str,
    start_worker: WorkerStarter,
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    policy = tmp_path / "notifier.toml"
    policy.write_text(policy_text(email_copy=JOURNEY_KINDS))
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy, broker_url=redis_url)
    start_worker(provider_env(settings))
    producer = build_runtime(settings)
    publish_as_in_life(producer, postgres_url, journey() + journey())
    producer.close()
    wait_until(lambda: statuses(postgres_url)["sent"] == 10, what="5 WhatsApp + 5 emails sent")
    by_sid = Counter(m.content_sid for m in fake_twilio.messages)
    assert by_sid == Counter(content_sid(kind, "es") for kind in JOURNEY_KINDS)
    assert all(m.to == "whatsapp:+525512345678" for m in fake_twilio.messages)
    assert all(m.content_variables == {"1": "Ana", "2": "MX-5001"} for m in fake_twilio.messages)
    subjects = [str(m.message["Subject"]) for m in fake_smtp.messages]
    assert len(subjects) == 5 and all("MX-5001" in s for s in subjects)
    assert all(m.rcpt_tos == ("ana@example.com",) for m in fake_smtp.messages)


def order(n: int) -> dict[str, Any]:
    event = example("order_placed")
    event["event_id"] = f"evt-load-{n}"
    event["order"] |= {"id": f"ord-load-{n}", "number": f"L-{n}"}
    event["customer"] |= {"id": f"cus-load-{n}", "phone": f"+5255{n:08d}", "channels": ["sms"]}
    return event


def test_with_thirty_percent_errors_five_hundred_orders_are_each_sent_exactly_once(
    postgres_url: str,
    redis_url: str,
    start_worker: WorkerStarter,
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    policy = tmp_path / "notifier.toml"
    policy.write_text(policy_text(max_attempts=25, base_seconds=0.05))
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy, broker_url=redis_url)
    fake_twilio.fail_randomly(0.3, choices=((500, None), (429, 20429)), seed=7)
    start_worker(provider_env(settings))
    producer = build_runtime(settings)
    for n in range(500):
        notifier.publish(order(n), runtime=producer)
    producer.close()
    wait_until(lambda: statuses(postgres_url)["sent"] == 500, timeout=180, what="500 sent")
    failed_answers = len(fake_twilio.attempts) - len(fake_twilio.messages)
    assert failed_answers > 100  # the faults really happened
    per_number = Counter(m.to for m in fake_twilio.messages)
    assert len(per_number) == 500
    assert set(per_number.values()) == {1}
