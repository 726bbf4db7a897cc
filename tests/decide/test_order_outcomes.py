"""What an order's turn means for the customer, as the facts their message is written from:
a cancellation (after our delay notice, unpaid, or plain) and an item out of stock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from notifier.contract.events import EventIn, parse_event_object
from notifier.decide.facts import OrderView
from notifier.decide.plan import decide_event
from notifier.decide.policy import Policy
from notifier.vocabulary import Kind, OrderStatus
from tests.conftest import example

NOW = datetime(2026, 11, 13, 12, tzinfo=UTC)
POLICY = Policy()
DETAILS = {"id": "ord-5001", "number": "MX-5001", "currency": "MXN", "total": "1299.00",
           "status_url": "https://shop.example.com/orders/MX-5001",
           "items": [{"sku": "SKU-1", "name": "Chamarra", "quantity": 1, "unit_price": "1299.00"},
                     {"sku": "SKU-9", "name": "Calcetines", "quantity": 3,
                      "unit_price": "89.50"}]}  # fmt: skip


@dataclass(frozen=True)
class Shopper:
    id: str = "cus-100"
    name: str | None = "Ana"
    orders_count: int | None = 1
    last_order_at: datetime | None = None
    last_winback_at: datetime | None = None


def order(status: OrderStatus = OrderStatus.SHIPPED, **details: Any) -> OrderView:
    return OrderView("ord-5001", "cus-100", status, datetime(2026, 11, 11, tzinfo=UTC),
                     DETAILS | details)  # fmt: skip


def canceled(**fields: Any) -> EventIn:
    raw = example("order_canceled")
    raw["order"] |= fields
    return parse_event_object(raw)


def own_facts(plan_of: Any, kind: Kind, key: str) -> dict[str, Any]:
    [message] = [m for m in plan_of.messages if m.plan.kind is kind]
    facts: dict[str, Any] = message.extras[key]
    return facts


def cancellation_of(
    event: EventIn, before: OrderView, policy: Policy = POLICY, told: bool = False
) -> dict[str, Any]:
    plan = decide_event(before, Shopper(), event, NOW, policy, delay_told=told)
    return own_facts(plan, Kind.ORDER_CANCELED, "cancellation")


def test_a_cancellation_after_our_delay_notice_refunds_the_whole_total_at_once() -> None:
    facts = cancellation_of(canceled(), order(), told=True)
    assert facts["after_delay"] is True and facts["unpaid"] is False
    assert (facts["refund_amount"], facts["currency"]) == ("1299.00", "MXN")


def test_a_cancellation_without_a_delay_states_only_the_refund_the_shop_gave() -> None:
    facts = cancellation_of(canceled(), order())
    assert (facts["after_delay"], facts["refund_amount"]) == (False, None)
    facts = cancellation_of(canceled(refund_amount="1000.00"), order())
    assert (facts["after_delay"], facts["refund_amount"]) == (False, "1000.00")
    assert facts["reason"] == "customer_request"


def test_a_cancel_reason_that_names_the_delay_counts_as_after_a_delay() -> None:
    facts = cancellation_of(canceled(cancel_reason="Late delivery"), order())
    assert facts["after_delay"] is True and facts["refund_amount"] == "1299.00"


def test_an_expired_payment_charged_nothing_and_links_to_ordering_again() -> None:
    facts = cancellation_of(
        canceled(cancel_reason="payment_expired"), order(OrderStatus.PAYMENT_PENDING), told=True
    )
    assert facts["unpaid"] is True and facts["after_delay"] is False
    assert facts["refund_amount"] is None and facts["reason"] == "payment_expired"
    assert facts["order_again_url"] == "https://shop.example.com/orders/MX-5001"


def test_an_order_without_a_page_links_to_the_shop_to_order_again() -> None:
    bare = replace(order(OrderStatus.PAYMENT_PENDING), details={"id": "ord-5001"})
    policy = Policy(shop_url="https://shop.example.com/")
    facts = cancellation_of(canceled(cancel_reason=None), bare, policy)
    assert facts["unpaid"] is True  # it was still waiting for its payment
    assert facts["order_again_url"] == "https://shop.example.com/"
    assert cancellation_of(canceled(), bare)["order_again_url"] is None


@pytest.mark.parametrize("told", [True, False])
def test_only_order_canceled_carries_a_cancellation(told: bool) -> None:
    plan = decide_event(order(), Shopper(), canceled(), NOW, Policy(), delay_told=told)
    assert [m.plan.kind for m in plan.messages] == [Kind.ORDER_CANCELED]
    placed = parse_event_object(example("order_placed"))
    plan = decide_event(OrderView("ord-5001"), Shopper(), placed, NOW, Policy())
    assert all("cancellation" not in m.extras for m in plan.messages)
