"""PostgreSQL restarts (`pg_ctl restart -m fast`) in the middle of a run: every connection is
cut. The workers and the scheduler recover by themselves, and every message is sent."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from notifier.workers.runtime import build_runtime
from tests.conftest import wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.faults import (
    OwnPostgres,
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


def test_workers_recover_by_themselves_from_a_postgres_restart_and_nothing_is_lost(
    own_postgres: OwnPostgres,
    redis_url: str,
    supervise: list[Supervisor],
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    db_url = own_postgres.url
    settings = fault_settings(tmp_path, db_url, redis_url, fake_twilio, fake_smtp)
    processes = supervisor(supervise, tmp_path, settings)
    processes.start_workers(1, processes=2)
    processes.start_scheduler(interval=1.0)
    producer = build_runtime(settings)
    events = [placed(n, "pg") for n in range(ORDERS)]
    publish_batches(producer, events[: ORDERS // 2])
    wait_until(lambda: len(fake_twilio.messages) >= ORDERS // 5, timeout=90,
               what="a fifth of the messages sent before the restart")  # fmt: skip

    started = time.monotonic()
    own_postgres.restart()
    restarted = time.monotonic()
    publish_batches(producer, events[ORDERS // 2 :])  # the shops go on publishing
    producer.close()
    wait_until(lambda: len(set(m.to for m in fake_twilio.messages)) == ORDERS, timeout=180,
               what=f"{ORDERS} customers reached after the restart")  # fmt: skip
    everyone = time.monotonic() - restarted
    wait_until(lambda: statuses(db_url) == Counter({"sent": ORDERS}), timeout=90,
               what=f"{ORDERS} messages recorded as sent")  # fmt: skip

    per_number = Counter(m.to for m in fake_twilio.messages)
    duplicates = sum(count - 1 for count in per_number.values())
    report(
        "postgres_restart",
        orders=ORDERS,
        restart_s=round(restarted - started, 1),
        all_sent_s_after_restart=round(everyone, 1),
        duplicates=duplicates,
        worker_restarts=processes.restarts,
    )
    assert set(per_number) == {phone(n) for n in range(ORDERS)}
    assert duplicates == 0
    assert processes.restarts == 0  # no worker died: they recovered by themselves
    assert all(p.poll() is None for p in processes.others)  # nor did the scheduler
