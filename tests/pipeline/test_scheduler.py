"""The scheduler hands due messages over once, even with two schedulers side by side."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Event, Notification
from notifier.store.timeline import message_records
from notifier.vocabulary import EventStatus, Kind, NotificationStatus
from notifier.workers import scheduler
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import example, settings_for
from tests.pipeline.test_pipeline import HoldingDispatcher

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


class CountingDispatcher:
    """Records every message handed to delivery, from any thread."""

    def __init__(self) -> None:
        self.handed: list[int] = []
        self._lock = threading.Lock()

    def send(self, task: str, row_id: int) -> None:
        with self._lock:
            self.handed.append(row_id)

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        with self._lock:
            self.handed.extend(row_ids)

    def ping(self) -> None:
        """Always reachable."""

    def depth(self) -> int:
        """Nothing waits here."""
        return 0


def test_two_schedulers_ticking_side_by_side_hand_each_of_10000_rows_over_once(
    postgres_url: str,
) -> None:
    with session_scope(postgres_url) as session:
        session.execute(
            insert(Notification),
            [
                {
                    "dedup_key": f"load:{n}",
                    "kind": Kind.REVIEW_REQUEST,
                    "order_id": f"o-{n}",
                    "event_id": "evt-load",
                    "status": NotificationStatus.SCHEDULED,
                    "due_at": NOW - timedelta(minutes=1),
                    "context": {},
                }
                for n in range(10_000)
            ],
        )
    counting = CountingDispatcher()
    schedulers = [build_runtime(settings_for(postgres_url), clock=lambda: NOW) for _ in "ab"]
    for runtime in schedulers:
        runtime.dispatcher = counting
    start = threading.Barrier(2)

    def run(runtime: Runtime) -> None:
        start.wait()
        tick(runtime, NOW)

    threads = [threading.Thread(target=run, args=(runtime,)) for runtime in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(counting.handed) == len(set(counting.handed)) == 10_000


def test_events_the_broker_lost_are_handed_over_again_after_the_grace(sqlite_url: str) -> None:
    runtime = build_runtime(settings_for(sqlite_url), console=io.StringIO())
    inline = runtime.dispatcher
    runtime.dispatcher = HoldingDispatcher()  # the broker loses what it is given
    notifier.publish(example("order_placed"), runtime=runtime)
    runtime.dispatcher = inline
    later = datetime.now(UTC)
    tick(runtime, later + timedelta(minutes=5))
    assert message_records(runtime.db_url, order_id="ord-5001") == []
    tick(runtime, later + timedelta(minutes=11))
    [record] = [r for r in message_records(runtime.db_url, order_id="ord-5001")
                if r["status"] == "sent"]  # fmt: skip
    assert record["kind"] == "order_confirmed"


class Stop(BaseException):
    """Ends the loop as Ctrl-C does: the loop outlives every Exception."""


def test_scheduler_loop_outlives_a_database_or_broker_outage(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes: list[BaseException | int] = [
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        redis.ConnectionError("Connection refused"),
        3,
        Stop(),
    ]
    passes: list[BaseException | int] = []

    def one_pass(_runtime: Runtime, _now: datetime | None = None) -> int:
        passes.append(outcome := outcomes.pop(0))
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    monkeypatch.setattr(scheduler, "tick", one_pass)
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)

    with pytest.raises(Stop):
        scheduler.run_forever(runtime, interval=0.01)
    assert len(passes) == 4


def test_one_tick_hands_back_every_forgotten_message_and_event_not_just_a_batch(
    runtime: Runtime,
) -> None:
    long_ago = NOW - timedelta(hours=1)
    with session_scope(runtime.db_url) as session:
        session.execute(
            insert(Notification),
            [
                {"dedup_key": f"lost:{n}", "kind": Kind.ORDER_CONFIRMED, "order_id": f"o-{n}",
                 "event_id": "evt-lost", "status": NotificationStatus.QUEUED, "due_at": long_ago,
                 "updated_at": long_ago, "context": {}}
                for n in range(450)
            ],
        )  # fmt: skip
        session.execute(
            insert(Event),
            [
                {"event_id": f"evt-lost-{n}", "type": "order.placed", "occurred_at": long_ago,
                 "order_id": f"o-{n}", "payload": {}, "status": EventStatus.RECEIVED,
                 "received_at": long_ago, "enqueued_at": long_ago}
                for n in range(450)
            ],
        )  # fmt: skip
    holding = HoldingDispatcher()
    runtime.dispatcher = holding

    tick(runtime, NOW)

    kinds = Counter(task for task, _ in holding.tasks)
    assert kinds == Counter({"notifications.deliver_batch": 450, "events.process": 450})
