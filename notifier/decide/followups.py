"""Follow-ups (pure): what an event schedules for later, and what it makes moot.

Scheduled messages are rows with `due_at` counted from the event's `occurred_at`; the scheduler
hands them over when due. Cancellation follows CONTRACT §1's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from notifier.contract.events import EventIn
from notifier.decide.policy import Policy
from notifier.vocabulary import Kind

CART_KINDS = frozenset({Kind.CART_REMINDER_1, Kind.CART_REMINDER_2})
ALL_KINDS = frozenset(Kind)


@dataclass(frozen=True)
class Later:
    """A message to schedule: kind, dedup key, due time; `moves` re-times a pending one."""

    kind: Kind
    key: str
    due_at: datetime
    moves: bool = False


@dataclass(frozen=True)
class Cancel:
    """Cancel the pending messages of these kinds for an order, a cart or a customer."""

    kinds: frozenset[Kind]
    order_id: str | None = None
    cart_id: str | None = None
    customer_id: str | None = None


def scheduled(event: EventIn, policy: Policy) -> list[Later]:
    """The follow-ups this event starts."""
    at, plan = event.occurred_at, policy.schedule
    if event.type == "order.shipped" and event.order:
        return [
            Later(
                Kind.IN_TRANSIT_UPDATE,
                f"in_transit_update:{event.order.id}:{n}",
                at + plan.in_transit_every * n,
            )
            for n in range(1, plan.in_transit_max + 1)
        ]
    if event.type == "shipment.delivered" and event.order:
        return [
            Later(Kind.REVIEW_REQUEST, f"review_request:{event.order.id}", at + plan.review_after)
        ]
    if event.type == "cart.updated" and event.cart:
        cart = event.cart.id
        return [
            Later(Kind.CART_REMINDER_1, f"cart_reminder_1:{cart}", at + plan.cart_reminder_1, True),
            Later(Kind.CART_REMINDER_2, f"cart_reminder_2:{cart}", at + plan.cart_reminder_2, True),
        ]
    return []


REVIEW_ENDERS = frozenset({"return.requested", "review.submitted", "order.refunded"})


def cancellations(event: EventIn) -> list[Cancel]:
    """What this event makes moot (CONTRACT §1)."""
    order_id = event.order_id
    if event.type == "order.canceled":
        return [Cancel(ALL_KINDS, order_id=order_id)]
    if event.type == "order.placed":
        return _cart_cancels(event)
    if event.type == "cart.cleared" and event.cart:
        return [Cancel(CART_KINDS, cart_id=event.cart.id)]
    if event.type == "shipment.out_for_delivery":
        return [Cancel(frozenset({Kind.IN_TRANSIT_UPDATE}), order_id=order_id)]
    if event.type == "shipment.delivered":
        return [Cancel(frozenset({Kind.IN_TRANSIT_UPDATE, Kind.DELAY_NOTICE}), order_id=order_id)]
    if event.type in REVIEW_ENDERS:
        return [Cancel(frozenset({Kind.REVIEW_REQUEST}), order_id=order_id)]
    return []


def _cart_cancels(event: EventIn) -> list[Cancel]:
    cancels = []
    if event.order and event.order.cart_id:
        cancels.append(Cancel(CART_KINDS, cart_id=event.order.cart_id))
    if event.customer:
        cancels.append(Cancel(CART_KINDS, customer_id=event.customer.id))
    return cancels
