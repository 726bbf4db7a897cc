"""The offer a delay earns, as a message shows it: both choices (wait with the coupon, or cancel
with an immediate full refund of the order's total)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from notifier.decide.compensation import offer_view, terms_of
from notifier.decide.policy import Compensation, Tier
from notifier.messages.samples import sample_facts
from notifier.messages.views import template_view

ORDER = {"id": "ord-5001", "number": "MX-5001", "total": "1299.00", "currency": "MXN"}


@dataclass(frozen=True)
class Stored:
    tier: int
    code: str = "PERDON-7K2Q9XH4PD"
    percent_off: int | None = 10
    free_shipping: bool = False
    cancel_offer: bool = True


def test_every_default_tier_offers_to_cancel_with_a_full_refund() -> None:
    assert [tier.cancel_option for tier in Compensation().tiers] == [True, True, True]
    assert Tier(min_days_late=1).cancel_option  # an ops' own tier too, unless it says no


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_the_offer_carries_the_cancel_choice_and_the_orders_total_without_a_cancel_url(
    tier: int,
) -> None:
    offer = offer_view(Stored(tier), "ord-5001", ORDER, Compensation())
    assert offer["cancel_offered"] is True
    assert offer["cancel_url"] is None  # the customer answers the message instead
    assert (offer["refund_amount"], offer["currency"]) == ("1299.00", "MXN")


def test_the_cancel_url_is_filled_in_when_the_policy_has_one() -> None:
    policy = Compensation(
        cancel_url="https://shop.example.com/o/{order_number}/cancel?c={coupon_code}"
    )
    offer = offer_view(Stored(1), "ord-5001", ORDER, policy)
    assert offer["cancel_url"] == "https://shop.example.com/o/MX-5001/cancel?c=PERDON-7K2Q9XH4PD"


def test_an_offer_stored_under_the_old_rules_gets_todays_cancel_choice() -> None:
    offer = offer_view(Stored(1, cancel_offer=False), "ord-5001", ORDER, Compensation())
    assert offer["cancel_offered"] is True


def test_a_tier_that_says_no_offers_no_cancel() -> None:
    policy = Compensation(tiers=[Tier(min_days_late=1, percent_off=5, cancel_option=False)])
    offer = offer_view(Stored(1), "ord-5001", ORDER, policy)
    assert (offer["cancel_offered"], offer["cancel_url"]) == (False, None)
    assert terms_of("ord-5001", 1, policy)["cancel_offer"] is False


def test_the_refund_amount_is_money_in_the_view_and_an_old_snapshot_still_renders() -> None:
    facts = sample_facts("delay_notice")["full"]
    view = template_view(facts, "delay_notice", "es-MX", "America/Mexico_City")
    assert view["offer"]["refund_amount"] == Decimal("1299.00")
    old = facts | {"offer": {"tier": 1, "coupon_code": "PERDON-2", "percent_off": 10,
                             "free_shipping": False, "cancel_url": None}}  # fmt: skip
    view = template_view(old, "delay_notice", "es-MX", "America/Mexico_City")
    assert view["offer"]["cancel_offered"] is False and view["offer"]["refund_amount"] is None
