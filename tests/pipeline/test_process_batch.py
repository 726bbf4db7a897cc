"""A batch of stored events applied in one transaction: fewer statements, same promises."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event

import notifier
from notifier.intake.ingest import store_and_enqueue, validate
from notifier.pipeline.process_batch import process_events, process_events_here
from notifier.store.db import get_engine, session_scope
from notifier.store.models import Customer, Event
from notifier.store.timeline import message_records
from notifier.vocabulary import EventStatus
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import example, settings_for
from tests.pipeline.test_pipeline import HoldingDispatcher


@pytest.fixture(params=["sqlite", "postgres"])
def held(request: pytest.FixtureRequest, console: io.StringIO) -> Runtime:
    """The embedded mode on each database, with a dispatcher that only keeps what it is
    handed: the test processes the batches itself."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    runtime = build_runtime(settings_for(url), console=console)
    runtime.dispatcher = HoldingDispatcher()
    return runtime


def placed(n: int, customer: str | None = None) -> dict[str, Any]:
    event = example("order_placed")
    event["event_id"] = f"evt-placed-{n}"
    event["order"] = event["order"] | {"id": f"ord-{n}", "number": f"B-{n}"}
    event["customer"] = event["customer"] | {"id": customer or f"cus-{n}"}
    return event


def of_order(name: str, order_id: str, event_id: str) -> dict[str, Any]:
    event = example(name)
    event["event_id"] = event_id
    event["order"] = event["order"] | {"id": order_id}
    return event


def stored(runtime: Runtime, events: list[dict[str, Any]]) -> list[int]:
    """Store the events as one ingest batch; the row ids handed to the broker."""
    holding = runtime.dispatcher
    assert isinstance(holding, HoldingDispatcher)
    holding.tasks.clear()
    store_and_enqueue(runtime, [validate(e) for e in events])
    return [row_id for _, row_id in holding.tasks]


@contextmanager
def counted(url: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = get_engine(url)
    sqlalchemy_event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", count)


def statuses(runtime: Runtime) -> dict[str, EventStatus]:
    with session_scope(runtime.db_url) as session:
        return {e.event_id: e.status for e in session.query(Event)}


def test_an_ingest_batch_is_one_queue_message_of_ids(held: Runtime) -> None:
    store_and_enqueue(held, [validate(placed(n)) for n in range(250)])
    holding = held.dispatcher
    assert isinstance(holding, HoldingDispatcher)
    assert [task for task, _ in holding.batches] == ["events.process_batch"] * 3
    assert [len(ids) for _, ids in holding.batches] == [100, 100, 50]


def test_a_batch_of_new_orders_costs_statements_per_batch_not_per_event(held: Runtime) -> None:
    ids = stored(held, [placed(n) for n in range(60)])
    with counted(held.db_url) as statements:
        planned = process_events_here(held, ids)
    assert len(planned.claimed) == 60  # every confirmation, claimed as it was planned
    # one event alone takes 8 statements and a commit. In a batch on PostgreSQL: one statement
    # for the batch for each of events, orders, customers, carts, messages, order updates, event
    # marks (a new customer's or cart's reminders need no cancelling). On SQLite the
    # cancellations and the cart run per event.
    per_event = 0 if held.db_url.startswith("postgresql") else 3
    assert len(statements) <= per_event * 60 + 10, statements[:20]
    assert set(statuses(held).values()) == {EventStatus.PROCESSED}


def test_a_batch_applies_each_orders_events_in_arrival_order_after_earlier_waiting_ones(
    held: Runtime,
) -> None:
    [earlier] = stored(held, [placed(1)])  # waits: its worker has not picked it up yet
    later = stored(held, [of_order("order_shipped", "ord-1", "evt-ship-1"), placed(2)])
    process_events(held, later)
    process_events(held, [earlier])  # applied already with the batch: nothing twice
    records = sorted(message_records(held.db_url, order_id="ord-1"), key=lambda r: r["id"])
    queued = [r["kind"] for r in records if r["status"] == "queued"]
    assert queued == ["order_confirmed", "order_shipped"]
    assert set(statuses(held).values()) == {EventStatus.PROCESSED}


def test_a_customer_in_many_events_of_a_batch_is_created_once_with_the_later_facts(
    held: Runtime,
) -> None:
    first, second = placed(1, customer="cus-9"), placed(2, customer="cus-9")
    second["customer"] = second["customer"] | {"name": "Ana María"}
    second["occurred_at"] = "2026-11-10T22:00:00Z"
    process_events(held, stored(held, [first, second]))
    with session_scope(held.db_url) as session:
        [customer] = session.query(Customer).all()
        assert (customer.id, customer.name) == ("cus-9", "Ana María")


def test_an_event_twice_in_one_post_is_stored_once_and_flagged(held: Runtime) -> None:
    accepted = store_and_enqueue(held, [validate(placed(1)), validate(placed(1))])
    assert [a.duplicate for a in accepted] == [False, True]
    assert len(statuses(held)) == 1


def test_a_batch_processed_again_gives_back_its_messages_still_queued(held: Runtime) -> None:
    notifier.publish(placed(1), runtime=held)
    process_events(held, [row for _, row in held.dispatcher.tasks])  # type: ignore[attr-defined]
    ids = stored(held, [of_order("order_shipped", "ord-1", "evt-ship-1")])
    first = process_events_here(held, ids)  # then the worker died before sending
    assert len(first.due_now) == 1
    assert process_events_here(held, ids).due_now == first.due_now  # the broker's second try


def test_overlapping_batches_on_two_threads_apply_each_event_once(postgres_url: str) -> None:
    runtime = build_runtime(settings_for(postgres_url), console=io.StringIO())
    runtime.dispatcher = HoldingDispatcher()
    events = [placed(n, customer=f"cus-{n % 7}") for n in range(40)]
    events += [of_order("order_shipped", f"ord-{n}", f"evt-ship-{n}") for n in range(40)]
    ids = stored(runtime, events)
    halves = [ids[::2], ids[1::2]]  # every order in both batches
    errors: list[BaseException] = []

    def work(batch: list[int]) -> None:
        try:
            process_events(runtime, batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert set(statuses(runtime).values()) == {EventStatus.PROCESSED}
    for n in range(40):
        records = sorted(message_records(postgres_url, order_id=f"ord-{n}"), key=lambda r: r["id"])
        due = [r["kind"] for r in records if r["status"] in ("queued", "sending")]
        assert due == ["order_confirmed", "order_shipped"]


def cart_event(cart_id: str, event_id: str, customer: str) -> dict[str, Any]:
    event = example("cart_updated")
    event["event_id"] = event_id
    event["cart"] = event["cart"] | {"id": cart_id}
    event["customer"] = event["customer"] | {"id": customer}
    return event


def reminders(runtime: Runtime) -> list[str]:
    return sorted(
        r["status"] for r in message_records(runtime.db_url) if r["kind"].startswith("cart_")
    )


@pytest.mark.parametrize("together", [False, True])
def test_an_order_from_a_reminded_cart_cancels_its_reminders_in_a_batch(
    held: Runtime, together: bool
) -> None:
    """A cart (and its customer) known before the batch, or planned earlier in the same batch:
    either way its reminders are found and canceled, never skipped as if new."""
    cart = cart_event("cart-7", "evt-cart-7", customer="cus-7")
    order = placed(7, customer="cus-7")
    order["order"] = order["order"] | {"cart_id": "cart-7"}
    order["occurred_at"] = "2026-11-10T23:00:00Z"
    if together:
        process_events(held, stored(held, [cart, order]))
    else:
        process_events(held, stored(held, [cart]))
        assert set(reminders(held)) == {"scheduled"}
        process_events(held, stored(held, [order]))
    assert set(reminders(held)) == {"canceled"} and len(reminders(held)) == 2


def test_messages_claimed_in_a_batch_keep_their_place_before_later_ones_of_the_order(
    held: Runtime,
) -> None:
    ids = stored(held, [placed(1), of_order("order_shipped", "ord-1", "evt-ship-1"), placed(2)])
    planned = process_events_here(held, ids)
    claimed = {c.notification.order_id: c.notification.id for c in planned.claimed}
    assert set(claimed) == {"ord-1", "ord-2"}
    records = sorted(message_records(held.db_url, order_id="ord-1"), key=lambda r: r["id"])
    due = [(r["kind"], r["status"]) for r in records if r["status"] in ("queued", "sending")]
    assert due == [("order_confirmed", "sending"), ("order_shipped", "queued")]
    assert planned.due_now == [records[1]["id"]] and claimed["ord-1"] == records[0]["id"]
