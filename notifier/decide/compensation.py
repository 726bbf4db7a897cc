"""The offer a late order earns: one per tier, with an unguessable coupon code (the store keeps
them: `store.orders.offer_for`), and the terms every coupon we give states: until when it is
valid and from which purchase.

A later notice for the same order reuses the offer already made unless the tier rises; then a new
coupon is issued for the higher tier.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from notifier.decide.policy import Compensation as CompensationPolicy
from notifier.decide.policy import Incentive
from notifier.vocabulary import Kind

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 10  # 32^10 ≈ 10^15 codes


def new_code(prefix: str) -> str:
    """A coupon code nobody can guess from another one."""
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def prefix_for(prefixes: str | Mapping[str, str], locale: str) -> str:
    """The coupon prefix for a customer reading in `locale`: the policy's one prefix, or its
    table's entry for the locale, else for its language; none for a language not listed (a
    Brazilian never gets a Spanish "PERDON-")."""
    if isinstance(prefixes, str):
        return prefixes
    by_tag = {tag.lower(): prefix for tag, prefix in prefixes.items()}
    language = locale.split("-")[0].lower()
    return by_tag.get(locale.lower(), by_tag.get(language, ""))


def min_purchase_in(
    rule: Decimal | Mapping[str, Decimal] | None, currency: str | None
) -> Decimal | None:
    """The least purchase a coupon needs, in `currency`: the policy's amount, or its table's
    entry for that currency; None when there is no condition (or none for that currency)."""
    if rule is None or isinstance(rule, Decimal):
        return rule
    return rule.get(currency) if currency else None


def coupon_terms(
    valid_for: timedelta, rule: Decimal | Mapping[str, Decimal] | None, issued_at: datetime,
    currency: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A coupon's terms as a message states them: expiry and least purchase (JSON-ready)."""
    least = min_purchase_in(rule, currency)
    return {
        "expires_at": (issued_at + valid_for).isoformat(),
        "min_purchase": str(least) if least is not None else None,
        "currency": currency,
    }


def incentive_view(
    incentive: Incentive | None, issued_at: datetime, currency: str | None
) -> dict[str, Any] | None:
    """A cart or win-back incentive as a message shows it, valid from when it is given."""
    if incentive is None:
        return None
    terms = coupon_terms(incentive.valid_for, incentive.min_purchase, issued_at, currency)
    return {"percent_off": incentive.percent_off, "coupon_code": incentive.coupon_code, **terms}


class Made(Protocol):
    """An offer as stored (the store's row is one)."""

    @property
    def tier(self) -> int: ...

    @property
    def code(self) -> str: ...

    @property
    def percent_off(self) -> int | None: ...

    @property
    def free_shipping(self) -> bool: ...

    @property
    def cancel_offer(self) -> bool: ...

    @property
    def created_at(self) -> datetime: ...


def needs_new(best_tier: int | None, tier: int) -> bool:
    """Whether a notice at `tier` needs a new coupon: none made yet, or only a lower tier."""
    return tier > 0 and (best_tier is None or best_tier < tier)


def terms_of(
    order_id: str, tier: int, policy: CompensationPolicy, locale: str, now: datetime
) -> dict[str, Any]:
    """The row of a new offer at `tier`, with a fresh code in the customer's language."""
    terms = policy.tiers[tier - 1]
    return {
        "order_id": order_id,
        "tier": tier,
        "code": new_code(prefix_for(policy.coupon_prefix, locale)),
        "percent_off": terms.percent_off,
        "free_shipping": terms.free_shipping,
        "cancel_offer": terms.cancel_option,
        "created_at": now,
    }


def cancel_offered(made: Made, policy: CompensationPolicy) -> bool:
    """Whether the notice offers to cancel with a full refund: as the policy's tier says now
    (an offer stored under older rules gets today's choice), else as it was stored."""
    if 1 <= made.tier <= len(policy.tiers):
        return policy.tiers[made.tier - 1].cancel_option
    return made.cancel_offer


def offer_view(
    made: Made, order_id: str, details: dict[str, Any], policy: CompensationPolicy
) -> dict[str, Any]:
    """The offer as a message shows it: the coupon with its terms (valid `coupon_valid_for`
    from its issue), and the choice to cancel with an immediate full refund of the order's
    total (with the policy's link when there is one; else the customer answers the message)."""
    offered = cancel_offered(made, policy)
    number = details.get("number") or order_id
    cancel_url = None
    if offered and policy.cancel_url:
        cancel_url = policy.cancel_url.format(
            order_id=order_id, order_number=number, coupon_code=made.code
        )
    currency = details.get("currency")
    return {
        "tier": made.tier,
        "coupon_code": made.code,
        "percent_off": made.percent_off,
        "free_shipping": made.free_shipping,
        "cancel_offered": offered,
        "cancel_url": cancel_url,
        "refund_amount": details.get("total"),
        **coupon_terms(
            policy.coupon_valid_for, policy.coupon_min_purchase, made.created_at, currency
        ),
    }


def shown_coupon(kind: Kind, context: Mapping[str, Any]) -> str | None:
    """The coupon code a message gives the customer, if any: a delay notice's offer (unless it
    offers "wait", whose acknowledgement brings the code), the acknowledgement of "wait", a cart
    reminder's or a win-back's incentive."""
    offer = context.get("offer") or {}
    incentive = context.get("incentive") or {}
    if kind is Kind.CHOICE_ACK:
        chose_wait = (context.get("choice") or {}).get("name") == "wait"
        return offer.get("coupon_code") if chose_wait else None
    if "wait" in (context.get("choices") or []):
        return None
    code = offer.get("coupon_code") or incentive.get("coupon_code")
    return str(code) if code else None
