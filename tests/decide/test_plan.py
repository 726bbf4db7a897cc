"""One event's Plan, decided from plain values: no database, no broker, nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notifier.contract.events import EventIn, parse_event_object
from notifier.decide.facts import OrderView
from notifier.decide.plan import decide_event
from notifier.decide.policy import Policy
from notifier.vocabulary import Kind, OrderStatus
from tests.conftest import example

NOW = datetime(2026, 11, 13, 12, tzinfo=UTC)
POLICY = Policy()


@dataclass(frozen=True)
class Shopper:
    id: str = "cus-77"
    name: str | None = "Ana"
    orders_count: int | None = 1
    last_order_at: datetime | None = None
    last_winback_at: datetime | None = None


def event(name: str, **changes: Any) -> EventIn:
    raw = example(name)
    raw.update(changes)
    return parse_event_object(raw)


def shipped(order_id: str = "ord-5001") -> OrderView:
    return OrderView(
        order_id,
        customer_id="cus-77",
        status=OrderStatus.SHIPPED,
        status_at=datetime(2026, 11, 10, tzinfo=UTC),
        details={"id": order_id, "number": "5001",
                 "promised_delivery_at": "2026-11-14T18:00:00-06:00"},
        shipment={"carrier": "Estafeta"},
    )  # fmt: skip


def test_a_new_order_moves_its_state_plans_its_confirmation_and_cancels_nothing_of_its_own() -> (
    None
):
    placed = event("order_placed")
    plan = decide_event(
        OrderView(placed.order.id if placed.order else ""), Shopper(), placed, NOW, POLICY
    )
    assert not plan.stale
    assert plan.order is not None and plan.order.status is OrderStatus.PLACED
    assert plan.order.details["id"] == placed.order.id if placed.order else False
    assert Kind.ORDER_CONFIRMED in [m.plan.kind for m in plan.messages]
    assert all(c.order_id != plan.order.id for c in plan.cancels)
    assert plan.customer["last_order_at"] is not None  # win-back looks again after this order
    assert plan.vip_note is None


def test_a_later_eta_plans_a_delay_notice_with_an_offer_tier_and_tells_the_new_eta() -> None:
    late = event("shipment_eta_updated", occurred_at="2026-11-13T10:00:00Z")
    plan = decide_event(shipped(), Shopper(), late, NOW, POLICY)
    notices = [m for m in plan.messages if m.plan.kind is Kind.DELAY_NOTICE]
    assert len(notices) == 1
    assert notices[0].offer_tier >= 1
    assert notices[0].extras["delay"]["reason"] == "eta_later"
    assert plan.order is not None and plan.order.notified_eta is not None
    assert plan.vip_note is None  # one order: not a VIP


def test_a_vip_customers_delay_asks_for_a_person() -> None:
    late = event("shipment_eta_updated")
    vip = Shopper(orders_count=POLICY.compensation.vip_orders)
    plan = decide_event(shipped(), vip, late, NOW, POLICY)
    assert plan.vip_note is not None and "ord-5001" in plan.vip_note


def test_a_stale_event_only_fills_gaps_and_plans_nothing() -> None:
    before = shipped()
    old_order = {**example("order_placed")["order"], "id": "ord-5001", "number": "OLD"}
    old = event("order_placed", occurred_at="2026-11-01T10:00:00Z", order=old_order)
    plan = decide_event(before, Shopper(), old, NOW, POLICY)
    assert plan.stale and plan.reason
    assert plan.messages == [] and plan.cancels == []
    assert plan.order is not None
    assert plan.order.status is OrderStatus.SHIPPED
    assert plan.order.details["number"] == "5001"  # the newer fact stands
    assert "total" in plan.order.details  # a gap the old event could fill


def test_an_event_without_an_order_plans_from_the_event_alone() -> None:
    cart = event("cart_updated")
    plan = decide_event(None, None, cart, NOW, POLICY)
    assert plan.order is None
    assert {m.plan.kind for m in plan.messages} >= {Kind.CART_REMINDER_1}
