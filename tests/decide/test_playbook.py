"""The playbook: forward-only order status, immediate kinds, stable dedup keys (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifier.contract.events import EventIn, parse_event_object
from notifier.decide.playbook import OrderState, decide, dedup_key
from notifier.decide.policy import Policy
from notifier.vocabulary import Kind, OrderStatus
from tests.conftest import example

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
POLICY = Policy()


def event(name: str, **changes: Any) -> EventIn:
    raw = example(name)
    raw.update(changes)
    return parse_event_object(raw)


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("order_placed", Kind.ORDER_CONFIRMED, OrderStatus.PLACED),
        ("order_shipped", Kind.ORDER_SHIPPED, OrderStatus.SHIPPED),
        ("shipment_out_for_delivery", Kind.OUT_FOR_DELIVERY, OrderStatus.OUT_FOR_DELIVERY),
        ("shipment_delivered", Kind.ORDER_DELIVERED, OrderStatus.DELIVERED),
        ("order_canceled", Kind.ORDER_CANCELED, OrderStatus.CANCELED),
        ("order_refunded", Kind.REFUND_ISSUED, None),
        ("return_requested", Kind.RETURN_RECEIVED, None),
        ("item_out_of_stock", Kind.OUT_OF_STOCK, None),
    ],
)
def test_each_immediate_event_plans_its_kind_now(
    name: str, kind: Kind, status: OrderStatus | None
) -> None:
    decision = decide(OrderState(), event(name), NOW, POLICY)
    assert not decision.stale
    immediate = [(p.kind, p.due_at) for p in decision.plans if not p.scheduled]
    assert immediate == [(kind, NOW)]
    assert decision.new_status is status


@pytest.mark.parametrize("name", ["shipment_in_transit", "shipment_eta_updated", "cart_updated"])
def test_informational_events_plan_no_immediate_message(name: str) -> None:
    plans = decide(OrderState(), event(name), NOW, POLICY).plans
    assert [p for p in plans if not p.scheduled] == []


def test_shipped_after_delivered_is_stale_and_plans_nothing() -> None:
    delivered = OrderState(OrderStatus.DELIVERED, NOW)
    decision = decide(delivered, event("order_shipped"), NOW, POLICY)
    assert decision.stale
    assert decision.plans == []
    assert "delivered" in decision.reason


def test_same_status_older_than_the_last_change_is_stale() -> None:
    in_transit = OrderState(OrderStatus.IN_TRANSIT, datetime(2026, 11, 12, 10, tzinfo=UTC))
    older = event("shipment_in_transit", occurred_at="2026-11-12T09:00:00Z")
    newer = event("shipment_in_transit", occurred_at="2026-11-12T11:00:00Z")
    assert decide(in_transit, older, NOW, POLICY).stale
    assert not decide(in_transit, newer, NOW, POLICY).stale


def test_canceled_order_ignores_later_progress_but_takes_the_refund() -> None:
    canceled = OrderState(OrderStatus.CANCELED, NOW - timedelta(hours=1))
    assert decide(canceled, event("shipment_out_for_delivery"), NOW, POLICY).stale
    refund = decide(canceled, event("order_refunded"), NOW, POLICY)
    assert not refund.stale
    assert [p.kind for p in refund.plans] == [Kind.REFUND_ISSUED]


def test_delivered_order_cannot_be_canceled() -> None:
    delivered = OrderState(OrderStatus.DELIVERED, NOW)
    assert decide(delivered, event("order_canceled"), NOW, POLICY).stale


def test_cancel_cancels_everything_pending() -> None:
    placed = OrderState(OrderStatus.PLACED, NOW - timedelta(days=1))
    [cancel] = decide(placed, event("order_canceled"), NOW, POLICY).cancels
    assert cancel.kinds == frozenset(Kind) and cancel.order_id == "ord-5001"


def test_out_of_stock_after_shipping_is_stale() -> None:
    shipped = OrderState(OrderStatus.SHIPPED, NOW - timedelta(days=1))
    assert decide(shipped, event("item_out_of_stock"), NOW, POLICY).stale


def test_pending_payment_tells_how_to_pay_instead_of_confirming_the_order() -> None:
    raw = example("order_placed")
    raw["payment"] = {"status": "pending", "method": "oxxo"}
    decision = decide(OrderState(), parse_event_object(raw), NOW, POLICY)
    assert [plan.kind for plan in decision.plans] == [Kind.PAYMENT_PENDING]
    assert decision.new_status is OrderStatus.PAYMENT_PENDING


def test_paid_after_pending_confirms_with_the_same_key_as_placed() -> None:
    pending = OrderState(OrderStatus.PAYMENT_PENDING, NOW - timedelta(hours=1))
    paid = event("order_placed", type="order.paid", event_id="evt-paid")
    placed = decide(OrderState(), event("order_placed"), NOW, POLICY)
    assert [p.dedup_key for p in decide(pending, paid, NOW, POLICY).plans] == [
        p.dedup_key for p in placed.plans
    ]


def test_dedup_key_is_the_same_for_the_same_event_and_differs_per_refund() -> None:
    first = decide(OrderState(), event("order_refunded"), NOW, POLICY).plans[0].dedup_key
    later = NOW + timedelta(hours=1)
    again = decide(OrderState(), event("order_refunded"), later, POLICY).plans[0]
    second = decide(OrderState(), event("order_refunded", event_id="evt-r2"), NOW, POLICY).plans[0]
    assert first == again.dedup_key
    assert first != second.dedup_key


def test_long_dedup_keys_are_hashed_to_fit() -> None:
    key = dedup_key("out_of_stock", "o" * 200, ",".join(f"SKU-{n}" for n in range(100)))
    assert len(key) <= 300
    assert key != dedup_key("out_of_stock", "o" * 200, ",".join(f"SKU-{n}" for n in range(99)))
