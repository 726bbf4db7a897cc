"""Webhooks to the shop (CONTRACT §6): `message.status` on every status the shop hears of and
`customer.choice`, signed per Standard Webhooks, written with what they tell, delivered at
least once under a stable webhook-id, nothing lost while the shop's endpoint is down."""

from __future__ import annotations

import io
import logging
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, update

import notifier
from notifier.pipeline.process_batch import process_events_here
from notifier.pipeline.status import apply_status
from notifier.store.db import get_engine, session_scope
from notifier.store.models import Notification, ShopWebhook
from notifier.store.sending import record_outcomes
from notifier.store.shop_webhooks import emit_customer_choice
from notifier.vocabulary import NotificationStatus
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock, example, journey, settings_for
from tests.fakes.shop import SECRET, TOKEN, FakeShop
from tests.pipeline.test_pipeline import HoldingDispatcher
from tests.pipeline.test_process_batch import counted, placed, stored

START = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
OUR_MODULES = ("notifier/store/shop_webhooks.py", "notifier/pipeline/shop_webhooks.py")
STATUS_FIELDS = {"type", "message_id", "order_id", "kind", "channel", "status", "at"}


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    with FakeShop() as running:
        yield running


def connected(url: str, shop: FakeShop, clock: Clock | None = None, **extra: Any) -> Runtime:
    """The embedded mode with the shop's webhooks on."""
    settings = settings_for(url, shop_webhook_url=shop.url, shop_webhook_secret=SECRET, **extra)
    if clock is None:
        return build_runtime(settings, console=io.StringIO())
    return build_runtime(settings, console=io.StringIO(), clock=clock)


def outbox_rows(runtime: Runtime) -> list[ShopWebhook]:
    with session_scope(runtime.db_url) as session:
        return list(session.scalars(select(ShopWebhook).order_by(ShopWebhook.id)))


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "postgres_url"
    )
    return url


def test_a_sent_message_reaches_the_shop_as_one_signed_message_status(
    database: str, shop: FakeShop
) -> None:
    runtime = connected(database, shop)
    notifier.publish(example("order_placed"), runtime=runtime)
    [told] = shop.taken_of("message.status")  # verified with standardwebhooks by the fake
    assert set(told) == STATUS_FIELDS
    with session_scope(runtime.db_url) as session:
        message = session.scalars(select(Notification)).one()
    assert told == {
        "type": "message.status",
        "message_id": message.id,
        "order_id": message.order_id,
        "kind": "order_confirmed",
        "channel": str(message.channel),
        "status": "sent",
        "at": told["at"],
    }
    assert message.sent_at is not None
    assert abs(datetime.fromisoformat(told["at"]) - message.sent_at) < timedelta(seconds=1)
    [row] = outbox_rows(runtime)
    assert (row.webhook_id, row.attempts) == (shop.taken[0][0], 1)
    assert row.webhook_id.startswith("msg_") and row.delivered_at is not None


def test_a_delivery_callback_yields_one_more_message_status(
    postgres_url: str, shop: FakeShop
) -> None:
    runtime = connected(postgres_url, shop)
    notifier.publish(example("order_placed"), runtime=runtime)
    with session_scope(runtime.db_url) as session:
        session.execute(update(Notification).values(provider_message_id="SM-delivered"))
    assert apply_status(runtime, "SM-delivered", "delivered", None) == "delivered"
    assert apply_status(runtime, "SM-delivered", "delivered", None) == "unchanged"
    statuses = [(p["kind"], p["status"]) for p in shop.taken_of("message.status")]
    assert statuses == [("order_confirmed", "sent"), ("order_confirmed", "delivered")]


@contextmanager
def statements_run_by_shop_webhooks(url: str) -> Iterator[list[str]]:
    """Every statement whose call passes through a `shop_webhooks` module (store or pipeline)."""
    ours: list[str] = []

    def note(*args: Any) -> None:
        if any(frame.filename.endswith(OUR_MODULES) for frame in traceback.extract_stack()):
            ours.append(args[2])

    engine = get_engine(url)
    sqlalchemy_event.listen(engine, "before_cursor_execute", note)
    try:
        yield ours
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", note)


def test_without_the_url_nothing_is_written_and_no_statement_is_run(postgres_url: str) -> None:
    runtime = build_runtime(settings_for(postgres_url), console=io.StringIO())
    with counted(postgres_url) as statements, statements_run_by_shop_webhooks(postgres_url) as ours:
        for event in journey():
            notifier.publish(event, runtime=runtime)
        tick(runtime, START + timedelta(days=30))
        with session_scope(runtime.db_url) as session:
            emit_customer_choice(session, runtime.settings, "ord-1", "cus-1", "wait", 1, START)
    assert statements, "the journey ran"
    assert ours == []
    assert not [s for s in statements if "shop_webhooks" in s]
    assert outbox_rows(runtime) == []


def test_many_outcomes_written_at_once_are_told_in_one_insert_handed_over_after_the_commit(
    postgres_url: str, shop: FakeShop
) -> None:
    runtime = connected(postgres_url, shop)
    holding = runtime.dispatcher = HoldingDispatcher()
    planned = process_events_here(runtime, stored(runtime, [placed(n) for n in range(20)]))
    assert len(planned.claimed) == 20
    now = runtime.clock()
    outcomes = [(c.notification.id, c.notification.claim_token, NotificationStatus.SENT,
                 {"sent_at": now, "updated_at": now}) for c in planned.claimed]  # fmt: skip
    holding.batches.clear()
    with counted(postgres_url) as statements, session_scope(runtime.db_url) as session:
        assert len(record_outcomes(session, outcomes)) == 20
        assert holding.batches == [], "handed over only after the commit"
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO SHOP_WEBHOOKS")]
    assert len(inserts) == 1
    rows = outbox_rows(runtime)
    assert sorted(r.payload["message_id"] for r in rows) == sorted(o[0] for o in outcomes)
    assert holding.batches == [("shop_webhooks.deliver", [r.id for r in rows])]


def test_canceled_messages_are_told_once_each(postgres_url: str, shop: FakeShop) -> None:
    runtime = connected(postgres_url, shop)
    for event in journey():
        notifier.publish(event, runtime=runtime)
    told = Counter((p["message_id"], p["status"]) for p in shop.taken_of("message.status"))
    assert set(told.values()) == {1}
    canceled = Counter(p["kind"] for p in shop.taken_of("message.status")
                       if p["status"] == "canceled")  # fmt: skip
    assert canceled["in_transit_update"] == 5
    with session_scope(runtime.db_url) as session:
        ended = session.scalars(select(Notification).where(
            Notification.status.in_(["sent", "canceled"]))).all()  # fmt: skip
    assert {(m.id, str(m.status)) for m in ended} <= set(told)


def test_webhooks_wait_out_a_shop_that_is_down_and_then_arrive_once_each(
    postgres_url: str, shop: FakeShop
) -> None:
    clock = Clock(START)
    runtime = connected(postgres_url, shop, clock)
    shop.refuse()  # connection refused while the journey is published
    for event in journey():
        notifier.publish(event, runtime=runtime)
        clock.now += timedelta(seconds=1)
    written = outbox_rows(runtime)
    assert written and all(r.delivered_at is None and r.attempts == 1 for r in written)
    shop.up()
    shop.down(503)  # then it answers, but not 2xx
    for wait in (31, 61, 121):
        clock.now += timedelta(seconds=wait)
        tick(runtime, clock.now)
    assert set(shop.attempts) == {r.webhook_id for r in written}, "retried under the same ids"
    assert shop.taken == []
    shop.up()
    clock.now += timedelta(hours=2)  # beyond the longest backoff
    tick(runtime, clock.now)
    tick(runtime, clock.now + timedelta(hours=2))
    rows = outbox_rows(runtime)
    assert all(r.delivered_at is not None for r in rows)
    taken = Counter(webhook_id for webhook_id, _ in shop.taken)
    assert set(taken) == {r.webhook_id for r in rows} and set(taken.values()) == {1}
    assert max(r.attempts for r in rows) >= 4


def test_a_retry_waits_its_backoff(postgres_url: str, shop: FakeShop) -> None:
    clock = Clock(START)
    runtime = connected(postgres_url, shop, clock)
    shop.down(500)
    notifier.publish(example("order_placed"), runtime=runtime)
    [first] = outbox_rows(runtime)
    assert first.next_attempt_at == START + timedelta(seconds=30)
    assert first.last_error == "the shop answered 500"
    for seconds, attempts in ((29, 1), (30, 2), (89, 2), (90, 3)):
        clock.now = START + timedelta(seconds=seconds)
        tick(runtime, clock.now)  # (the late-order scan sends this order a delay notice too)
        assert shop.attempts.count(first.webhook_id) == attempts, f"at +{seconds} s"
    row = outbox_rows(runtime)[0]
    assert row.next_attempt_at == START + timedelta(seconds=90 + 120)


def test_the_secret_and_the_url_token_never_reach_logs_or_rows(
    postgres_url: str, shop: FakeShop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="notifier")
    runtime = connected(postgres_url, shop)
    shop.refuse()
    notifier.publish(example("order_placed"), runtime=runtime)
    shop.down(503)
    shop.up()
    shop.down(503)
    tick(runtime, runtime.clock() + timedelta(minutes=5))
    errors = [r.last_error or "" for r in outbox_rows(runtime)]
    assert errors and all(errors)
    for secret in (SECRET, SECRET.removeprefix("whsec_"), TOKEN):
        assert secret not in caplog.text
        assert not [e for e in errors if secret in e]


def test_a_customer_choice_is_sent_as_the_contract_writes_it(database: str, shop: FakeShop) -> None:
    runtime = connected(database, shop)
    with session_scope(runtime.db_url) as session:
        emit_customer_choice(session, runtime.settings, "ord-1", "cus-1", "wait", 42, START)
    assert shop.taken_of("customer.choice") == [
        {"type": "customer.choice", "order_id": "ord-1", "customer_id": "cus-1",
         "choice": "wait", "message_id": 42, "at": START.isoformat()}
    ]  # fmt: skip


def test_a_choice_in_a_transaction_rolled_back_is_never_sent(
    postgres_url: str, shop: FakeShop
) -> None:
    runtime = connected(postgres_url, shop)
    with pytest.raises(RuntimeError), session_scope(runtime.db_url) as session:
        emit_customer_choice(session, runtime.settings, "ord-1", "cus-1", "cancel", 1, START)
        raise RuntimeError("the caller failed")
    assert outbox_rows(runtime) == [] and shop.attempts == []
