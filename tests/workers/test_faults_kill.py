"""Worker processes killed with SIGKILL three times during a 5,000-order run: every customer
gets their message; a message the provider took just before a kill is sent at most once more,
and the database says so."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from notifier.store.timeline import message_records
from notifier.workers.runtime import build_runtime
from tests.conftest import wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.faults import (
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

ORDERS = 5_000
KILLS = (0.2, 0.45, 0.7)  # when, as the share of customers reached


def per_ten_seconds(offsets: list[float]) -> list[int]:
    """How many happened in each 10-second slice of the run."""
    slices = Counter(int(offset // 10) for offset in offsets)
    return [slices[n] for n in range(max(slices, default=-1) + 1)]


def test_three_sigkills_of_worker_processes_lose_no_message_and_duplicate_at_most_one_each(
    postgres_url: str,
    redis_url: str,
    supervise: list[Supervisor],
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    settings = fault_settings(tmp_path, postgres_url, redis_url, fake_twilio, fake_smtp)
    processes = supervisor(supervise, tmp_path, settings)
    processes.start_workers(2, processes=1)  # two `notifier worker`s of one process each
    processes.start_scheduler(interval=1.0)
    producer = build_runtime(settings)
    started = time.monotonic()
    shop = ThreadPoolExecutor(1)  # the shop publishes while the workers send (and die)
    published = shop.submit(publish_batches, producer, [placed(n, "kill") for n in range(ORDERS)])

    def reached() -> int:
        return len({m.to for m in fake_twilio.messages})

    kills: list[dict[str, Any]] = []
    for number, share in enumerate(KILLS):
        wait_until(lambda: reached() >= share * ORDERS, timeout=240,  # noqa: B023
                   what=f"{share:.0%} of the customers reached")  # fmt: skip
        pid = processes.kill_a_worker_process(number)
        kills.append({"pid": pid, "at_s": round(time.monotonic() - started, 1),
                      "reached": reached()})  # fmt: skip
        restarts = processes.restarts
        wait_until(lambda: processes.restarts > restarts, timeout=30,  # noqa: B023
                   what="the killed worker started again")  # fmt: skip

    published.result(timeout=120)
    shop.shutdown()
    producer.close()
    wait_until(lambda: reached() == ORDERS, timeout=300, what=f"all {ORDERS} customers reached")
    everyone = time.monotonic() - started
    wait_until(lambda: statuses(postgres_url) == Counter({"sent": ORDERS}), timeout=120,
               what=f"{ORDERS} messages recorded as sent")  # fmt: skip

    per_number = Counter(m.to for m in fake_twilio.messages)
    twice = sorted(number for number, count in per_number.items() if count > 1)
    records = message_records(postgres_url)
    findings = Counter(
        h["outcome"] for r in records for h in r["history"] if h["outcome"] != "sent"
    )
    requeued = {r["to"] for r in records if any(h["outcome"] == "requeued" for h in r["history"])}
    report(
        "worker_sigkill",
        orders=ORDERS,
        kills=kills,
        all_reached_s=round(everyone, 1),
        all_reached_s_after_last_kill=round(everyone - kills[-1]["at_s"], 1),
        reconciler_findings=dict(findings),
        duplicates=sum(per_number[n] - 1 for n in twice),
        duplicated=twice,
        sent_per_10_s=per_ten_seconds([m.received_at - started for m in fake_twilio.messages]),
    )
    assert set(per_number) == {phone(n) for n in range(ORDERS)}
    assert sum(per_number[n] - 1 for n in twice) <= len(KILLS)
    assert set(twice) <= requeued  # a second copy is never silent: its history says why
