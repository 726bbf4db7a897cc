"""A tick's cost follows the batches, not the rows: due messages go to delivery 50 ids per queue
message, and the late-order scan reads and writes 500 orders in a handful of statements while
planning exactly what it planned one order at a time."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from notifier import ports
from notifier.decide import delays, watch
from notifier.decide.facts import Reader
from notifier.pipeline import scan
from notifier.pipeline.parts import Parts
from notifier.pipeline.reconcile import hand_forgotten
from notifier.pipeline.rows import rows_of
from notifier.store import orders
from notifier.store.db import get_engine, session_scope
from notifier.store.handoffs import open_for_vip
from notifier.store.models import (
    Compensation,
    Customer,
    Handoff,
    Notification,
    Order,
    SupportForward,
)
from notifier.store.notifications import insert_planned
from notifier.vocabulary import Kind, NotificationStatus, OrderStatus
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import settings_for

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
LOCALES = ("es-MX", "pt-BR", "en-US", None, "en-GB")


class RecordingDispatcher:
    """Keeps every queue message handed over (a task and its ids), from any thread."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[int]]] = []
        self._lock = threading.Lock()

    def send(self, task: str, row_id: int) -> None:
        with self._lock:
            self.messages.append((task, [row_id]))

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        with self._lock:
            self.messages.append((f"{task}[]", list(row_ids)))

    def ids(self, task: str) -> list[int]:
        return [row_id for name, ids in self.messages if name == task for row_id in ids]

    def ping(self) -> None:
        """Always reachable."""

    def depth(self) -> int:
        """Nothing waits here."""
        return 0


BATCH_OF_DELIVERIES = f"{ports.DELIVER_BATCH}[]"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test on the embedded SQLite and on a real PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    if request.param == "postgresql":
        empty(url)  # the session's database keeps the offers (and handoffs) of earlier tests
    return url


def recording_runtime(db_url: str, email_copy: bool = True) -> tuple[Runtime, RecordingDispatcher]:
    runtime = build_runtime(settings_for(db_url), clock=lambda: NOW)
    if email_copy:  # two messages per notice: the notice and its email copy
        runtime.policy = runtime.policy.model_copy(update={"email_copy": [Kind.DELAY_NOTICE]})
    recording = RecordingDispatcher()
    runtime.dispatcher = recording
    return runtime, recording


def schedule(
    db_url: str, count: int, now: datetime = NOW, kind: Kind = Kind.REVIEW_REQUEST
) -> list[int]:
    """`count` scheduled messages due a minute ago; their ids."""
    rows = [
        {"dedup_key": f"due:{n}", "kind": kind, "order_id": f"o-{n}",
         "event_id": "evt-test", "status": NotificationStatus.SCHEDULED,
         "due_at": now - timedelta(minutes=1), "context": {}}
        for n in range(count)
    ]  # fmt: skip
    with session_scope(db_url) as session:
        session.execute(insert(Notification), rows)
        query = select(Notification.id).where(Notification.dedup_key.like("due:%"))
        return sorted(session.execute(query).scalars())


def fill_orders(db_url: str, count: int, vip_every: int = 97, now: datetime = NOW) -> None:
    """`count` orders due for a look, in every shape the scan meets: not shipped by `ship_by`,
    stalled in transit near the promise, in transit and fine, without a customer; customers
    in each language, a few VIPs (every `vip_every`-th), offers already made (a higher tier
    kept, a lower one raised)."""
    customers, rows, offers = [], [], []
    for n in range(count):
        customer_id = None if n % 10 == 9 else f"cus-{n // 2}"
        if customer_id and n % 2 == 0:
            vip = vip_every and (n // 2) % vip_every == 0
            customers.append(
                {"id": customer_id, "name": f"Cliente {n}", "email": f"c{n}@example.com",
                 "phone": "+525512345678", "locale": LOCALES[(n // 2) % 5],
                 "timezone": "America/Mexico_City", "channels": ["sms", "email"],
                 "consent": {"sms": True, "email": True}, "orders_count": 9 if vip else 1,
                 "opted_out": []}
            )  # fmt: skip
        details: dict[str, Any] = {"number": f"MX-{n}", "total": "1299.00", "currency": "MXN"}
        shape = n % 4
        status, last_scan = OrderStatus.PLACED, None
        if shape in (0, 3):
            details["ship_by"] = (now - timedelta(days=1)).isoformat()
        else:
            status = OrderStatus.IN_TRANSIT
            details["promised_delivery_at"] = (now + timedelta(hours=12)).isoformat()
            last_scan = now - (timedelta(hours=50) if shape == 1 else timedelta(hours=1))
        rows.append(
            {"id": f"ord-{n}", "customer_id": customer_id, "status": status, "status_at": now,
             "details": details, "shipment": {}, "last_scan_at": last_scan,
             "next_check_at": now - timedelta(minutes=1 + n % 7)}
        )  # fmt: skip
        if n % 8 == 3:  # a higher offer made already: kept
            offers.append(_offer(f"ord-{n}", 3, f"PERDON-KEPT{n}", now))
        if n % 8 == 7:  # a lower one: a VIP's notice raises it
            offers.append(_offer(f"ord-{n}", 1, f"PERDON-LOW{n}", now))
    with session_scope(db_url) as session:
        for table, values in ((Customer, customers), (Order, rows), (Compensation, offers)):
            if values:
                session.execute(insert(table), values)


def _offer(order_id: str, tier: int, code: str, now: datetime) -> dict[str, Any]:
    made = now - timedelta(days=1)
    return {"order_id": order_id, "tier": tier, "code": code, "percent_off": 10,
            "free_shipping": False, "cancel_offer": True, "created_at": made}  # fmt: skip


def empty(db_url: str) -> None:
    with session_scope(db_url) as session:
        for model in (SupportForward, Handoff, Notification, Compensation, Order, Customer):
            session.execute(delete(model))


def one_by_one(runtime: Parts, now: datetime) -> list[int]:
    """The late-order scan as it was: every order read, decided and written on its own."""
    due_now: list[int] = []
    while True:
        with session_scope(runtime.db_url) as session:
            due = orders.orders_due_for_check(session, now, scan.BATCH)
            for order in due:
                due_now += _check_one(session, runtime, order, now)
        if len(due) < scan.BATCH:
            return due_now


def _check_one(session: Session, runtime: Parts, order: Order, now: datetime) -> list[int]:
    policy = runtime.policy
    signal = delays.on_scan(watch.facts_of(order), now, policy.late_orders)
    order.next_check_at = watch.next_check(order, policy, now, just_checked=True)
    if signal is None:
        return []
    customer = orders.get_customer(session, order.customer_id)
    notice = watch.delay_notice(order, customer, signal, now, policy)
    order.notified_eta = notice.notified_eta or order.notified_eta
    open_for_vip(session, customer, notice.vip_note, now, policy)
    settings = runtime.settings
    reader = Reader(settings.default_locale, settings.default_timezone)
    if customer is not None:
        reader = reader.of(customer.locale, customer.timezone)
    rows = rows_of(
        session, notice.messages, None, order, customer, now, policy.compensation, reader
    )
    return insert_planned(session, [m.plan for m in notice.messages], rows, now)


RANDOM_CODE = re.compile(r"^([A-Z]+-)[A-Z2-9]{10}$")


def _code(code: str) -> str:
    """A coupon code without its random part (a code made before the scan stays whole)."""
    return RANDOM_CODE.sub(r"\1…", code)


def what_was_written(db_url: str) -> dict[str, Any]:
    """Every row the scan writes, the coupons' random parts left out."""
    with session_scope(db_url) as session:
        messages = []
        for n in session.execute(select(Notification).order_by(Notification.dedup_key)).scalars():
            context = dict(n.context)
            if context.get("offer"):
                context["offer"] = context["offer"] | {
                    "coupon_code": _code(n.context["offer"]["coupon_code"])
                }
            messages.append((n.dedup_key, n.kind, n.order_id, n.customer_id, n.cart_id,
                             n.event_id, n.status, n.due_at, n.only_channel, context))  # fmt: skip
        watched = session.execute(
            select(Order.id, Order.next_check_at, Order.notified_eta).order_by(Order.id)
        ).all()
        made = sorted(
            (c.order_id, c.tier, _code(c.code), c.percent_off, c.free_shipping, c.cancel_offer,
             c.created_at)
            for c in session.execute(select(Compensation)).scalars()
        )  # fmt: skip
        handoffs = sorted(
            (h.customer_id, h.priority, h.reason, str(h.messages))
            for h in session.execute(select(Handoff)).scalars()
        )
        forwards = len(session.execute(select(SupportForward.id)).all())
    return {"messages": messages, "orders": watched, "offers": made, "handoffs": handoffs,
            "forwards": forwards}  # fmt: skip


def test_the_batched_scan_plans_what_the_one_by_one_scan_planned(db_url: str) -> None:
    runtime, recording = recording_runtime(db_url)
    fill_orders(db_url, 1_100)
    told_then = one_by_one(runtime, NOW)
    then = what_was_written(db_url)
    empty(db_url)
    fill_orders(db_url, 1_100)

    assert scan.scan_late_orders(runtime, NOW) == len(told_then)

    now = what_was_written(db_url)
    assert now == then
    kinds = {(m[1], m[8]) for m in now["messages"]}
    assert kinds == {(Kind.DELAY_NOTICE, None), (Kind.DELAY_NOTICE, "email")}
    assert len(now["messages"]) == 2 * 825  # three shapes of four are late, twice each
    assert {tier for _, tier, *_ in now["offers"]} == {1, 2, 3}
    assert {code for _, _, code, *_ in now["offers"]} >= {"PERDON-…", "DESCULPA-…", "SORRY-…"}
    assert len(now["handoffs"]) == 6 and now["forwards"] > 0  # the VIPs
    with session_scope(db_url) as session:
        queued = session.execute(
            select(Notification.id).where(Notification.status == NotificationStatus.QUEUED)
        ).scalars()
        assert sorted(recording.ids(BATCH_OF_DELIVERIES)) == sorted(queued)


class Statements:
    """Counts the SQL statements sent to the database while it is open."""

    def __init__(self, db_url: str) -> None:
        self.engine = get_engine(db_url)
        self.count = 0

    def _count(self, *_args: object) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_the_scan_over_600_late_orders_costs_a_handful_of_statements_per_batch(
    db_url: str,
) -> None:
    runtime, recording = recording_runtime(db_url)
    fill_orders(db_url, 600, vip_every=0)

    with Statements(db_url) as statements:
        told = scan.scan_late_orders(runtime, NOW)

    assert told == 2 * 450
    # two batches (500 + 100) of: orders, customers, watch times, offers read, offers
    # issued, notices; one by one it was about five per order (3,000)
    assert statements.count <= 2 * 6
    assert len(recording.ids(BATCH_OF_DELIVERIES)) == told


def test_a_tick_hands_due_messages_over_50_ids_per_queue_message(db_url: str) -> None:
    runtime, recording = recording_runtime(db_url)
    scheduled = schedule(db_url, 2 * scan.IDS_PER_MESSAGE + 20)
    fill_orders(db_url, 130, vip_every=0)  # 98 late orders: 196 notices due now

    handed = tick(runtime, NOW)

    assert handed == len(scheduled) + 196
    assert all(task == BATCH_OF_DELIVERIES for task, _ in recording.messages)
    sizes = [len(ids) for _, ids in recording.messages]
    assert len(sizes) == math.ceil(196 / 50) + math.ceil(len(scheduled) / 50)
    assert max(sizes) == scan.IDS_PER_MESSAGE
    ids = recording.ids(BATCH_OF_DELIVERIES)
    assert len(ids) == len(set(ids)) == handed
    assert set(scheduled) <= set(ids)
    assert tick(runtime, NOW) == 0


def test_forgotten_queued_messages_go_back_50_ids_per_queue_message(db_url: str) -> None:
    runtime, recording = recording_runtime(db_url)
    scheduled = schedule(db_url, 260)
    with session_scope(db_url) as session:
        session.execute(
            update(Notification).values(
                status=NotificationStatus.QUEUED, updated_at=NOW - timedelta(hours=1)
            )
        )

    assert hand_forgotten(runtime, NOW) == 260

    assert [len(ids) for _, ids in recording.messages] == [50, 50, 50, 50, 50, 10]
    assert sorted(recording.ids(BATCH_OF_DELIVERIES)) == scheduled


def test_two_schedulers_side_by_side_never_hand_the_same_id_twice(postgres_url: str) -> None:
    empty(postgres_url)
    scheduled = schedule(postgres_url, 1_500)
    fill_orders(postgres_url, 1_400, vip_every=0)  # 1,050 late orders, 2,100 notices
    recording = RecordingDispatcher()
    schedulers = []
    for _ in "ab":
        runtime, _ = recording_runtime(postgres_url)
        runtime.dispatcher = recording
        schedulers.append(runtime)
    start = threading.Barrier(2)
    handed = [0, 0]

    def run(which: int) -> None:
        start.wait()
        handed[which] = tick(schedulers[which], NOW)

    threads = [threading.Thread(target=run, args=(which,)) for which in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = recording.ids(BATCH_OF_DELIVERIES)
    assert len(ids) == len(set(ids)) == sum(handed) == len(scheduled) + 2_100
    assert all(len(batch) <= scan.IDS_PER_MESSAGE for _, batch in recording.messages)
    with session_scope(postgres_url) as session:
        notices = session.execute(
            select(Notification.order_id).where(Notification.kind == Kind.DELAY_NOTICE)
        ).scalars()
        assert len(list(notices)) == 2_100
        watched = select(Order.id).where(Order.next_check_at <= NOW)
        assert session.execute(watched).all() == []
