"""The offer a late order earns: stored once per tier, with an unguessable coupon code.

A later notice for the same order reuses the offer already made unless the tier rises; then a new
coupon is issued for the higher tier.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifier.decide.policy import Compensation as CompensationPolicy
from notifier.store import queries
from notifier.store.models import Compensation

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 10  # 32^10 ≈ 10^15 codes


def new_code(prefix: str) -> str:
    """A coupon code nobody can guess from another one."""
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def offer_for(
    session: Session, order_id: str, order_number: str, tier: int, policy: CompensationPolicy
) -> dict[str, Any] | None:
    """The order's offer for this tier: the one already made if as high, else a new one."""
    if tier <= 0:
        return None
    best = session.execute(
        select(Compensation)
        .where(Compensation.order_id == order_id)
        .order_by(Compensation.tier.desc())
        .limit(1)
    ).scalar_one_or_none()
    if best is None or best.tier < tier:
        best = _issue(session, order_id, tier, policy)
    return _offer(best, order_id, order_number, policy)


def _issue(session: Session, order_id: str, tier: int, policy: CompensationPolicy) -> Compensation:
    terms = policy.tiers[tier - 1]
    values = {
        "order_id": order_id,
        "tier": tier,
        "code": new_code(policy.coupon_prefix),
        "percent_off": terms.percent_off,
        "free_shipping": terms.free_shipping,
        "cancel_offer": terms.cancel_option,
    }
    queries.insert_compensation(session, values)
    return session.execute(
        select(Compensation).where(Compensation.order_id == order_id, Compensation.tier == tier)
    ).scalar_one()


def _offer(
    made: Compensation, order_id: str, order_number: str, policy: CompensationPolicy
) -> dict[str, Any]:
    cancel_url = None
    if made.cancel_offer and policy.cancel_url:
        cancel_url = policy.cancel_url.format(
            order_id=order_id, order_number=order_number, coupon_code=made.code
        )
    return {
        "tier": made.tier,
        "coupon_code": made.code,
        "percent_off": made.percent_off,
        "free_shipping": made.free_shipping,
        "cancel_url": cancel_url,
    }
