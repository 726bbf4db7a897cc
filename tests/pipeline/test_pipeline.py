"""From event to message in the embedded mode, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest

import notifier
from notifier.errors import InvalidEvent
from notifier.pipeline import deliver
from notifier.store.db import session_scope
from notifier.store.models import Customer, Event, Notification
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import (
    JOURNEY_OUTCOME,
    example,
    journey,
    outcome,
    sent_kinds,
    settings_for,
)


@pytest.fixture(params=["sqlite", "postgres"])
def embedded(request: pytest.FixtureRequest, console: io.StringIO) -> Runtime:
    """The embedded mode (memory broker) on each database."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return build_runtime(settings_for(url), console=console)


def publish_all(runtime: Runtime, events: list[dict[str, Any]]) -> None:
    for event in events:
        notifier.publish(event, runtime=runtime)


def kinds(runtime: Runtime, order_id: str = "ord-5001") -> list[str]:
    return sent_kinds(message_records(runtime.db_url, order_id=order_id))


def count_rows(runtime: Runtime, model: type[Any]) -> int:
    with session_scope(runtime.db_url) as session:
        return session.query(model).count()


def test_journey_published_twice_sends_one_message_per_kind(embedded: Runtime) -> None:
    publish_all(embedded, journey())
    publish_all(embedded, journey())
    records = message_records(embedded.db_url, order_id="ord-5001")
    assert outcome(records) == JOURNEY_OUTCOME
    assert all(r["body"] and r["sent_at"] for r in records if r["status"] == "sent")


def test_journey_reaches_the_console_as_whatsapp_text(
    embedded: Runtime, console: io.StringIO
) -> None:
    publish_all(embedded, journey())
    printed = console.getvalue()
    assert printed.count("[console whatsapp → +52******5678]") == 5
    assert "+525512345678" not in printed  # masked
    assert "EST123456789MX" in printed


def test_duplicate_event_is_acknowledged_and_sends_once(embedded: Runtime) -> None:
    first = notifier.publish(example("order_placed"), runtime=embedded)
    second = notifier.publish(example("order_placed"), runtime=embedded)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert kinds(embedded) == ["order_confirmed"]
    assert count_rows(embedded, Event) == 1


def test_shipped_after_delivered_sends_nothing(embedded: Runtime) -> None:
    publish_all(embedded, [example("order_placed"), example("shipment_delivered")])
    notifier.publish(example("order_shipped"), runtime=embedded)
    assert kinds(embedded) == ["order_confirmed", "order_delivered"]
    with session_scope(embedded.db_url) as session:
        shipped = session.query(Event).filter_by(event_id="evt-0002").one()
        assert shipped.status == "stale"


def test_stale_event_fills_in_but_does_not_overwrite_order_details(embedded: Runtime) -> None:
    delivered = example("shipment_delivered")
    publish_all(embedded, [example("order_placed"), delivered])
    notifier.publish(example("order_shipped"), runtime=embedded)
    from notifier.store.models import Order

    with session_scope(embedded.db_url) as session:
        order = session.get(Order, "ord-5001")
        assert order is not None
        assert order.status == "delivered"
        assert order.shipment["location"] == "CDMX"  # from delivered, not overwritten
        assert order.shipment["tracking_number"] == "EST123456789MX"  # filled in


def test_cancel_sends_cancellation_and_cancels_what_was_pending(embedded: Runtime) -> None:
    notifier.publish(example("order_placed"), runtime=embedded)
    with session_scope(embedded.db_url) as session:  # a message planned for later
        confirmed = session.query(Notification).one()
        later = Notification(
            dedup_key="test:later", kind="review_request", order_id="ord-5001",
            customer_id="cus-100", event_id="evt-0001", status="scheduled",
            due_at=confirmed.due_at.replace(year=2030), context=confirmed.context,
        )  # fmt: skip
        session.add(later)
    notifier.publish(example("order_canceled"), runtime=embedded)
    records = {r["kind"]: r for r in message_records(embedded.db_url, order_id="ord-5001")}
    assert records["order_canceled"]["status"] == "sent"
    assert records["review_request"]["status"] == "canceled"
    assert records["review_request"]["canceled_by"] == "evt-0008"


def test_later_event_uses_the_customer_it_remembers(embedded: Runtime) -> None:
    notifier.publish(example("order_placed"), runtime=embedded)
    shipped = example("order_shipped")
    shipped.pop("customer")
    notifier.publish(shipped, runtime=embedded)
    records = message_records(embedded.db_url, order_id="ord-5001")
    assert [r["to"] for r in records if r["status"] == "sent"] == ["+525512345678"] * 2


def test_new_phone_in_a_later_event_is_used_from_then_on(embedded: Runtime) -> None:
    notifier.publish(example("order_placed"), runtime=embedded)
    shipped = example("order_shipped")
    shipped["customer"]["phone"] = "+525598765432"
    notifier.publish(shipped, runtime=embedded)
    records = message_records(embedded.db_url, order_id="ord-5001")
    assert [r["to"] for r in records if r["status"] == "sent"][1] == "+525598765432"


def test_customer_without_any_usable_channel_is_skipped_with_reason(embedded: Runtime) -> None:
    placed = example("order_placed")
    placed["customer"].update(phone=None, email=None)
    notifier.publish(placed, runtime=embedded)
    [record] = message_records(embedded.db_url, order_id="ord-5001")
    assert record["status"] == "skipped"
    assert "no usable channel" in record["error"]


def test_invalid_event_stores_nothing(embedded: Runtime) -> None:
    placed = example("order_placed")
    placed["order"].pop("id")
    with pytest.raises(InvalidEvent):
        notifier.publish(placed, runtime=embedded)
    assert count_rows(embedded, Event) == 0
    assert count_rows(embedded, Notification) == 0


def test_broken_template_fails_the_message_with_the_reason(sqlite_url: str, tmp_path: Any) -> None:
    folder = tmp_path / "templates" / "es" / "order_confirmed"
    folder.mkdir(parents=True)
    (folder / "whatsapp.txt").write_text("{{ order.missing_field }}")
    runtime = build_runtime(
        settings_for(sqlite_url).model_copy(update={"templates_dir": tmp_path / "templates"}),
        console=io.StringIO(),
    )
    notifier.publish(example("order_placed"), runtime=runtime)
    [record] = message_records(runtime.db_url, order_id="ord-5001")
    assert record["status"] == "failed"
    assert "missing_field" in record["error"]


class HoldingDispatcher:
    """Keeps handed-over tasks instead of running them, to pick them up in any order."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, int]] = []  # each id handed over, batched or not
        self.batches: list[tuple[str, list[int]]] = []

    def send(self, task: str, row_id: int) -> None:
        self.tasks.append((task, row_id))

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        self.batches.append((task, list(row_ids)))
        for row_id in row_ids:
            self.send(task, row_id)

    def ping(self) -> None:
        """Always reachable."""

    def depth(self) -> int:
        """Nothing waits here."""
        return 0


def test_events_picked_up_out_of_order_are_applied_in_arrival_order(embedded: Runtime) -> None:
    from notifier.pipeline.process import process_event

    holding = HoldingDispatcher()
    embedded.dispatcher = holding
    publish_all(embedded, [example("order_placed"), example("shipment_delivered")])
    (_, placed_row), (_, delivered_row) = holding.tasks
    process_event(embedded, delivered_row)  # a second worker got the later event first
    process_event(embedded, placed_row)  # the earlier one was already applied: no-op
    records = message_records(embedded.db_url, order_id="ord-5001")
    queued = [r["kind"] for r in records if r["status"] == "queued"]
    assert queued == ["order_confirmed", "order_delivered"]


def test_an_event_processed_again_gives_back_its_messages_still_queued(embedded: Runtime) -> None:
    from notifier.pipeline.process import process_event_here

    publish_all(embedded, [example("order_placed")])  # the order is known: nothing pre-claimed
    holding = HoldingDispatcher()
    embedded.dispatcher = holding
    publish_all(embedded, [example("order_shipped")])
    [(_, row)] = holding.tasks
    planned = process_event_here(embedded, row)  # then the worker died
    assert (len(planned.due_now), planned.claimed) == (1, [])
    assert process_event_here(embedded, row).due_now == planned.due_now  # the broker's 2nd try
    assert len(holding.tasks) == 1  # nothing was handed over: the caller delivers
    deliver.deliver(embedded, planned.due_now[0])
    assert kinds(embedded) == ["order_confirmed", "order_shipped"]
    assert process_event_here(embedded, row).due_now == []  # sent: nothing left to give


def test_a_new_orders_first_message_is_planned_claimed_and_sent_without_a_claim(
    embedded: Runtime,
) -> None:
    from notifier.pipeline.process import process_event_here

    holding = HoldingDispatcher()
    embedded.dispatcher = holding
    publish_all(embedded, [example("order_placed")])
    planned = process_event_here(embedded, holding.tasks[0][1])
    [claimed] = planned.claimed
    assert planned.due_now == []
    [record] = message_records(embedded.db_url, order_id="ord-5001")
    assert (record["kind"], record["status"]) == ("order_confirmed", "sending")
    assert deliver.send_claimed(embedded, claimed) == "sent"
    assert kinds(embedded) == ["order_confirmed"]
    assert process_event_here(embedded, holding.tasks[0][1]).due_now == []  # nothing queued


def test_a_customer_met_twice_in_one_batch_takes_the_later_details(embedded: Runtime) -> None:
    from notifier.pipeline.process import process_event

    holding = HoldingDispatcher()
    embedded.dispatcher = holding
    delivered = example("shipment_delivered") | {"customer": {"id": "cus-100"}}
    delivered["customer"]["phone"] = "+525598765432"
    publish_all(embedded, [example("order_placed"), example("shipment_in_transit"), delivered])
    process_event(embedded, holding.tasks[-1][1])  # all three in one transaction
    with session_scope(embedded.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and customer.phone == "+525598765432"
        assert customer.name == "Ana Pérez"  # what the later event did not say is kept
    records = message_records(embedded.db_url, order_id="ord-5001")
    assert [r["kind"] for r in records if r["status"] == "queued"] == [
        "order_confirmed",
        "order_delivered",
    ]
