"""Late orders (pure: facts and clock in, signals out) and the compensation they earn.

A signal is found when an event arrives (a later ETA, a shipment exception) or when the scan
looks at an order whose watch time has come (not shipped by `ship_by`; in transit with no scan
for `stalled_after` while the promise is within `promise_near`). Each signal carries a stable key,
so the same delay is told once; only a later ETA than the one already told is news.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifier.decide.policy import LateOrders, Tier
from notifier.vocabulary import OrderStatus

# An order still waiting for its payment is never "late": it cannot ship before it is paid
# (order.paid moves it to placed, and the watch on ship_by starts then).
NOT_SHIPPED = (OrderStatus.PLACED,)
MOVING = (OrderStatus.SHIPPED, OrderStatus.IN_TRANSIT)
FINISHED = (OrderStatus.DELIVERED, OrderStatus.CANCELED)


@dataclass(frozen=True)
class OrderFacts:
    """What the delay rules look at."""

    status: OrderStatus | None
    promised: datetime | None
    ship_by: datetime | None
    eta: datetime | None
    last_scan_at: datetime | None
    notified_eta: datetime | None


@dataclass(frozen=True)
class Signal:
    """A delay worth telling: why, the key that makes it once-only, and what we know."""

    reason: str
    key: str
    new_eta: datetime | None = None
    exception_reason: str | None = None
    days_late: int | None = None


def days_late(promised: datetime | None, eta: datetime | None) -> int | None:
    """Whole days (rounded up) between the promise and the ETA; None when unknown."""
    if promised is None or eta is None or eta <= promised:
        return None
    return math.ceil((eta - promised) / timedelta(days=1))


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def on_eta(facts: OrderFacts) -> Signal | None:
    """An ETA past the promise, later than any ETA already told."""
    if facts.status in FINISHED or facts.eta is None or facts.promised is None:
        return None
    if facts.eta <= facts.promised:
        return None
    if facts.notified_eta is not None and facts.eta <= facts.notified_eta:
        return None
    late = days_late(facts.promised, facts.eta)
    return Signal("eta_later", f"eta:{_epoch(facts.eta)}", facts.eta, days_late=late)


def on_exception(facts: OrderFacts, reason: str | None) -> Signal | None:
    """A shipment exception: told once per reason."""
    if facts.status in FINISHED:
        return None
    late = days_late(facts.promised, facts.eta)
    new_eta = facts.eta if late else None
    key = f"exception:{reason or 'unknown'}"
    return Signal("exception", key, new_eta, exception_reason=reason, days_late=late)


def on_scan(facts: OrderFacts, now: datetime, rules: LateOrders) -> Signal | None:
    """The watch time came: not shipped in time, or silent too long near the promise."""
    if facts.status in NOT_SHIPPED and facts.ship_by is not None and now >= facts.ship_by:
        return Signal("not_shipped", "not_shipped")
    if facts.status in MOVING and _stalled(facts, now, rules):
        assert facts.last_scan_at is not None
        return Signal("stalled", f"stalled:{_epoch(facts.last_scan_at)}")
    return None


def _stalled(facts: OrderFacts, now: datetime, rules: LateOrders) -> bool:
    if facts.last_scan_at is None or facts.promised is None:
        return False
    if facts.notified_eta is not None:
        return False  # the customer already knows it will be late, and until when
    silent = now - facts.last_scan_at >= rules.stalled_after
    near = facts.promised - now <= rules.promise_near
    return silent and near and now < facts.promised + rules.promise_near


def next_check(facts: OrderFacts, rules: LateOrders) -> datetime | None:
    """When the scan should look at this order next; None when there is nothing to watch."""
    if facts.status in NOT_SHIPPED:
        return facts.ship_by
    if facts.status in MOVING and facts.last_scan_at and facts.promised:
        return max(facts.last_scan_at + rules.stalled_after, facts.promised - rules.promise_near)
    return None


def choose_tier(days: int | None, vip: bool, tiers: list[Tier]) -> int:
    """The tier (1-based) the delay earns; VIP customers get the next one up; 0 for none."""
    reached = sum(1 for tier in tiers if (days or 1) >= tier.min_days_late)
    if reached and vip:
        reached = min(reached + 1, len(tiers))
    return reached
