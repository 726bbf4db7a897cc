"""Orders' offers: the compensation a late order earns, stored once per tier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifier.decide import compensation
from notifier.decide.facts import OrderView
from notifier.decide.policy import Compensation as CompensationPolicy
from notifier.store.models import Compensation, Order
from notifier.store.queries import insert_ignoring_conflicts


def offer_for(
    session: Session, order: Order, tier: int, policy: CompensationPolicy
) -> dict[str, Any] | None:
    """The order's offer for this tier, as a message shows it: the one already made if as
    high, else a new one (a concurrent one for the same tier wins quietly). None for tier 0."""
    if tier <= 0:
        return None
    best = _best(session, order.id)
    if compensation.needs_new(best.tier if best else None, tier):
        values = compensation.terms_of(order.id, tier, policy)
        session.execute(insert_ignoring_conflicts(session, Compensation).values(**values))
        best = _best(session, order.id)
    assert best is not None
    number = (order.details or {}).get("number") or order.id
    return compensation.offer_view(best, order.id, number, policy)


def _best(session: Session, order_id: str) -> Compensation | None:
    return session.execute(
        select(Compensation)
        .where(Compensation.order_id == order_id)
        .order_by(Compensation.tier.desc())
        .limit(1)
    ).scalar_one_or_none()


ORDER_STATE = ("customer_id", "status", "status_at", "details", "shipment", "last_scan_at",
               "notified_eta", "next_check_at")  # fmt: skip


def write_state(order: Order, state: OrderView) -> None:
    """Give the order row the state a decision left it in (written at the transaction's end)."""
    for name in ORDER_STATE:
        if getattr(order, name) != getattr(state, name):
            setattr(order, name, getattr(state, name))
