"""The offer a late order earns: one per tier, with an unguessable coupon code (the store keeps
them: `store.orders.offer_for`).

A later notice for the same order reuses the offer already made unless the tier rises; then a new
coupon is issued for the higher tier.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from notifier.decide.policy import Compensation as CompensationPolicy

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 10  # 32^10 ≈ 10^15 codes


def new_code(prefix: str) -> str:
    """A coupon code nobody can guess from another one."""
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


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


def needs_new(best_tier: int | None, tier: int) -> bool:
    """Whether a notice at `tier` needs a new coupon: none made yet, or only a lower tier."""
    return tier > 0 and (best_tier is None or best_tier < tier)


def terms_of(order_id: str, tier: int, policy: CompensationPolicy) -> dict[str, Any]:
    """The row of a new offer at `tier`, with a fresh code."""
    terms = policy.tiers[tier - 1]
    return {
        "order_id": order_id,
        "tier": tier,
        "code": new_code(policy.coupon_prefix),
        "percent_off": terms.percent_off,
        "free_shipping": terms.free_shipping,
        "cancel_offer": terms.cancel_option,
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
    """The offer as a message shows it: the coupon, and the choice to cancel with an immediate
    full refund of the order's total (with the policy's link when there is one; else the
    customer answers the message)."""
    offered = cancel_offered(made, policy)
    number = details.get("number") or order_id
    cancel_url = None
    if offered and policy.cancel_url:
        cancel_url = policy.cancel_url.format(
            order_id=order_id, order_number=number, coupon_code=made.code
        )
    return {
        "tier": made.tier,
        "coupon_code": made.code,
        "percent_off": made.percent_off,
        "free_shipping": made.free_shipping,
        "cancel_offered": offered,
        "cancel_url": cancel_url,
        "refund_amount": details.get("total"),
        "currency": details.get("currency"),
    }
