"""The scheduler hands due messages over once, even with two schedulers side by side."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from notifier import queries
from notifier.db import session_scope
from notifier.models import Kind, Notification, NotificationStatus
from notifier.runtime import Runtime, build_runtime
from notifier.scheduler import tick
from notifier.timeline import message_records
from tests.conftest import settings_for
from tests.test_pipeline import HoldingDispatcher

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def schedule(db_url: str, count: int, due_at: datetime) -> None:
    with session_scope(db_url) as session:
        for n in range(count):
            session.add(
                Notification(
                    dedup_key=f"test:{due_at.isoformat()}:{n}",
                    kind=Kind.ORDER_CONFIRMED,
                    order_id=f"ord-{n}",
                    customer_id=None,
                    event_id="evt-test",
                    status=NotificationStatus.SCHEDULED,
                    due_at=due_at,
                    context={},
                )
            )


def test_tick_hands_over_what_is_due_and_leaves_the_rest(runtime: Runtime) -> None:
    schedule(runtime.db_url, 3, NOW - timedelta(minutes=1))
    schedule(runtime.db_url, 2, NOW + timedelta(hours=1))
    holding = HoldingDispatcher()
    runtime.dispatcher = holding
    assert tick(runtime, NOW) == 3
    assert tick(runtime, NOW) == 0
    statuses = sorted(r["status"] for r in message_records(runtime.db_url))
    assert statuses == ["queued", "queued", "queued", "scheduled", "scheduled"]
    assert len(holding.tasks) == 3


def test_tick_delivers_due_messages_in_the_embedded_mode(sqlite_url: str) -> None:
    runtime = build_runtime(settings_for(sqlite_url), clock=lambda: NOW)
    schedule(runtime.db_url, 1, NOW - timedelta(minutes=1))
    tick(runtime, NOW)
    [record] = message_records(runtime.db_url)
    assert record["status"] == "skipped"  # delivered to routing: no customer for the order
    assert record["error"] == "no customer known for this order"


def test_two_schedulers_side_by_side_never_claim_a_row_twice(postgres_url: str) -> None:
    schedule(postgres_url, 400, NOW - timedelta(minutes=5))
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def scheduler(slot: int) -> None:
        start.wait()
        while True:
            with session_scope(postgres_url) as session:
                ids = queries.claim_due(session, NOW, 25)
            if not ids:
                return
            claimed[slot] += ids

    threads = [threading.Thread(target=scheduler, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == 400
