"""The offer a delay earns, as a message shows it: both choices (wait with the coupon, or cancel
with an immediate full refund of the order's total)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from notifier.contract.events import parse_event_object
from notifier.decide.compensation import incentive_view, offer_view, prefix_for, terms_of
from notifier.decide.plan import decide_event
from notifier.decide.policy import Compensation, Incentive, Policy, PolicyError, Tier, load_policy
from notifier.messages.samples import sample_facts
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.conftest import example

ORDER = {"id": "ord-5001", "number": "MX-5001", "total": "1299.00", "currency": "MXN"}
ISSUED = datetime(2026, 11, 13, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    tier: int
    code: str = "PERDON-7K2Q9XH4PD"
    percent_off: int | None = 10
    free_shipping: bool = False
    cancel_offer: bool = True
    created_at: datetime = ISSUED


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
    assert terms_of("ord-5001", 1, policy, "es-MX", ISSUED)["cancel_offer"] is False


def test_the_refund_amount_is_money_in_the_view_and_an_old_snapshot_still_renders() -> None:
    facts = sample_facts("delay_notice")["full"]
    view = template_view(facts, "delay_notice", "es-MX", "America/Mexico_City")
    assert view["offer"]["refund_amount"] == Decimal("1299.00")
    old = facts | {"offer": {"tier": 1, "coupon_code": "PERDON-2", "percent_off": 10,
                             "free_shipping": False, "cancel_url": None}}  # fmt: skip
    view = template_view(old, "delay_notice", "es-MX", "America/Mexico_City")
    assert view["offer"]["cancel_offered"] is False and view["offer"]["refund_amount"] is None


@pytest.mark.parametrize(
    ("locale", "prefix"),
    [("es-MX", "PERDON-"), ("es-CO", "PERDON-"), ("pt-BR", "DESCULPA-"), ("en-US", "SORRY-"),
     ("fr-FR", "")],
)  # fmt: skip
def test_the_default_coupon_prefix_speaks_the_customers_language(locale: str, prefix: str) -> None:
    code = terms_of("ord-5001", 1, Compensation(), locale, ISSUED)["code"]
    assert code.startswith(prefix) and len(code) == len(prefix) + 10


def test_a_brazilian_customer_never_gets_a_spanish_coupon() -> None:
    codes = [terms_of("ord-5001", t, Compensation(), "pt-BR", ISSUED)["code"] for t in (1, 2, 3)]
    assert not any(code.startswith("PERDON-") for code in codes)


def test_a_prefix_table_takes_the_locale_then_its_language_and_one_prefix_fits_all() -> None:
    table = {"pt": "DESCULPA-", "pt-PT": "LAMENTO-", "es": "PERDON-"}
    assert prefix_for(table, "pt-PT") == "LAMENTO-"
    assert prefix_for(table, "pt-BR") == "DESCULPA-"
    assert prefix_for(table, "en-US") == ""
    assert prefix_for("NTF-", "pt-BR") == "NTF-"


def test_an_offer_states_its_expiry_and_least_purchase_in_the_orders_currency() -> None:
    policy = Compensation.model_validate(
        {"coupon_valid_for": "14d", "coupon_min_purchase": {"MXN": "500", "BRL": "120"}}
    )
    offer = offer_view(Stored(1), "ord-5001", ORDER, policy)
    assert offer["expires_at"] == (ISSUED + timedelta(days=14)).isoformat()
    assert (offer["min_purchase"], offer["currency"]) == ("500", "MXN")
    assert (
        offer_view(Stored(1), "ord-5001", ORDER, Compensation())["expires_at"]
        == (ISSUED + timedelta(days=30)).isoformat()
    )  # the default: 30 days from the coupon's issue
    view = template_view(
        sample_facts("delay_notice")["full"] | {"offer": offer}, "delay_notice", "es-MX", "UTC"
    )
    assert view["offer"]["expires_at"] == ISSUED + timedelta(days=14)
    assert view["offer"]["min_purchase"] == Decimal("500")


def test_a_cart_incentive_is_valid_from_the_reminder_that_gives_it() -> None:
    incentive = Incentive.model_validate(
        {"percent_off": 10, "coupon_code": "VUELVE10", "valid_for": "2d", "min_purchase": "300"}
    )
    policy = Policy(cart_incentive=incentive)
    cart = parse_event_object(example("cart_updated"))
    plan = decide_event(None, None, cart, cart.occurred_at, policy)
    [second] = [m for m in plan.messages if m.plan.kind is Kind.CART_REMINDER_2]
    incentive = second.extras["incentive"]
    assert incentive["expires_at"] == (second.plan.due_at + timedelta(days=2)).isoformat()
    assert (incentive["min_purchase"], incentive["currency"]) == (
        "300",
        cart.cart and cart.cart.currency,
    )
    assert incentive_view(None, ISSUED, "MXN") is None


@pytest.mark.parametrize(
    ("toml", "named"),
    [('coupon_prefix = "perdon-"', "compensation.coupon_prefix"),
     ('coupon_prefix = {"Español" = "PERDON-"}', "compensation.coupon_prefix"),
     ('coupon_min_purchase = "-5"', "compensation.coupon_min_purchase"),
     ("coupon_min_purchase = {mxn = 500}", "compensation.coupon_min_purchase"),
     ('coupon_valid_for = "0d"', "compensation.coupon_valid_for")],
)  # fmt: skip
def test_a_bad_coupon_setting_stops_the_policy_naming_it(
    tmp_path: Path, toml: str, named: str
) -> None:
    path = tmp_path / "notifier.toml"
    path.write_text(f"[compensation]\n{toml}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=named):
        load_policy(path)


def test_coupon_settings_read_from_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "notifier.toml"
    path.write_text(
        '[compensation]\ncoupon_prefix = {es = "PERDON-", pt = "DESCULPA-"}\n'
        'coupon_valid_for = "14d"\ncoupon_min_purchase = "500.00"\n',
        encoding="utf-8",
    )
    rules = load_policy(path).compensation
    assert rules.coupon_prefix == {"es": "PERDON-", "pt": "DESCULPA-"}
    assert rules.coupon_valid_for == timedelta(days=14)
    assert rules.coupon_min_purchase == Decimal("500.00")
