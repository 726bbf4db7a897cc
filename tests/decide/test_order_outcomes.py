"""What an order's turn means for the customer, as the facts their message is written from:
a cancellation (after our delay notice, unpaid, or plain) and an item out of stock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifier.contract.events import EventIn, parse_event_object
from notifier.decide.facts import OrderView
from notifier.decide.plan import decide_event
from notifier.decide.policy import Policy, PolicyError, load_policy
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


def ran_out(*items: dict[str, Any]) -> EventIn:
    raw = example("item_out_of_stock")
    if items:
        raw["order"]["items"] = list(items)
    return parse_event_object(raw)


JACKET = {"sku": "SKU-1", "name": "Chamarra", "quantity": 1, "unit_price": "1299.00"}
SOCKS = {"sku": "SKU-9", "name": "Calcetines", "quantity": 2, "unit_price": "89.50"}


def stock_of(event: EventIn, before: OrderView | None = None, policy: Policy = POLICY) -> Any:
    plan = decide_event(before or order(OrderStatus.PLACED), Shopper(), event, NOW, policy)
    return own_facts(plan, Kind.OUT_OF_STOCK, "out_of_stock")


def test_out_of_stock_refunds_the_missing_items_and_ships_the_rest() -> None:
    facts = stock_of(ran_out())  # the jacket, with an alternative
    assert (facts["refund_amount"], facts["currency"]) == ("1299.00", "MXN")
    assert facts["rest_ships"] is True and facts["has_alternatives"] is True
    assert facts["alternatives_url"] == "https://shop.example.com/orders/MX-5001"


def test_without_an_answer_the_missing_items_are_refunded_48_hours_after_the_event() -> None:
    event = ran_out()
    facts = stock_of(event)
    assert facts["if_no_answer"] == "refund"
    assert datetime.fromisoformat(facts["answer_by"]) == event.occurred_at + timedelta(hours=48)


def test_the_refund_adds_up_prices_times_quantities_of_every_missing_item() -> None:
    facts = stock_of(ran_out(JACKET, SOCKS))
    assert facts["refund_amount"] == "1478.00"  # 1299.00 + 2 x 89.50
    assert facts["rest_ships"] is True  # one pair of socks is left of three


def test_nothing_ships_when_every_item_ran_out() -> None:
    facts = stock_of(ran_out(JACKET, SOCKS | {"quantity": 3}))
    assert facts["rest_ships"] is False


def test_what_is_unknown_stays_unknown() -> None:
    unpriced = stock_of(ran_out(JACKET | {"unit_price": None}))
    assert unpriced["refund_amount"] is None
    itemless = replace(order(OrderStatus.PLACED), details={"id": "ord-5001"})
    facts = stock_of(ran_out(), itemless)
    assert facts["rest_ships"] is None and facts["alternatives_url"] is None


def test_the_policy_chooses_what_happens_without_an_answer_and_how_long_to_wait(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notifier.toml"
    path.write_text('[out_of_stock]\nif_no_answer = "alternative"\nanswer_within = "24h"\n')
    policy = load_policy(path)
    event = ran_out()
    facts = stock_of(event, policy=policy)
    assert facts["if_no_answer"] == "alternative"
    assert datetime.fromisoformat(facts["answer_by"]) == event.occurred_at + timedelta(hours=24)
    no_alternative = stock_of(ran_out(JACKET), policy=policy)
    assert no_alternative["if_no_answer"] == "refund"  # nothing to ship instead


def test_a_bad_out_of_stock_setting_stops_the_policy_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "notifier.toml"
    path.write_text('[out_of_stock]\nif_no_answer = "wait"\n')
    with pytest.raises(PolicyError, match=r"out_of_stock\.if_no_answer"):
        load_policy(path)
