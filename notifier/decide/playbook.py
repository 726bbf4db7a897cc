"""What an event means for an order and its customer (pure: state, event and clock in).

Order status only moves forward; an event older than the order's state changes nothing the
customer sees and plans nothing. Each planned message carries a deterministic dedup key built
from stable identifiers, so the same event handled twice can never plan a second message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from notifier.contract.events import EventIn
from notifier.decide import payments
from notifier.decide.facts import DEFAULT_READER
from notifier.decide.followups import Cancel, cancellations, scheduled
from notifier.decide.policy import Policy
from notifier.vocabulary import Channel, Kind, OrderStatus

RANK = {
    OrderStatus.PAYMENT_PENDING: 0,
    OrderStatus.PLACED: 1,
    OrderStatus.SHIPPED: 2,
    OrderStatus.IN_TRANSIT: 3,
    OrderStatus.OUT_FOR_DELIVERY: 4,
    OrderStatus.DELIVERED: 5,
}

STATUS_OF_EVENT = {
    "order.payment_pending": OrderStatus.PAYMENT_PENDING,
    "order.placed": OrderStatus.PLACED,
    "order.paid": OrderStatus.PLACED,
    "order.shipped": OrderStatus.SHIPPED,
    "shipment.in_transit": OrderStatus.IN_TRANSIT,
    "shipment.out_for_delivery": OrderStatus.OUT_FOR_DELIVERY,
    "shipment.delivered": OrderStatus.DELIVERED,
    "order.canceled": OrderStatus.CANCELED,
}

IMMEDIATE_KIND = {
    "order.placed": Kind.ORDER_CONFIRMED,
    "order.payment_pending": Kind.PAYMENT_PENDING,
    "order.paid": Kind.ORDER_CONFIRMED,
    "order.shipped": Kind.ORDER_SHIPPED,
    "shipment.out_for_delivery": Kind.OUT_FOR_DELIVERY,
    "shipment.delivered": Kind.ORDER_DELIVERED,
    "order.canceled": Kind.ORDER_CANCELED,
    "order.refunded": Kind.REFUND_ISSUED,
    "return.requested": Kind.RETURN_RECEIVED,
    "item.out_of_stock": Kind.OUT_OF_STOCK,
}

# Events about the shipment's progress: outdated once the order moved on after them.
PROGRESS_INFO = frozenset({"shipment.eta_updated", "shipment.exception"})
# Events that only make sense before the order ships.
BEFORE_SHIPPING = frozenset({"item.out_of_stock"})
# Events that stand beside the status line and are never stale by order of arrival.
ASIDE = frozenset({"order.refunded", "return.requested", "review.submitted"})

MAX_KEY = 300


@dataclass(frozen=True)
class OrderState:
    """The part of an order the playbook decides on."""

    status: OrderStatus | None = None
    status_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """A message to create: what, under which dedup key, due when (and on one channel only)."""

    kind: Kind
    dedup_key: str
    due_at: datetime
    only_channel: Channel | None = None
    scheduled: bool = False  # handed over by the scheduler when due, even if due already
    moves: bool = False  # a pending message under the same key takes the new due time


@dataclass(frozen=True)
class Decision:
    """The outcome of one event for one order."""

    stale: bool
    new_status: OrderStatus | None = None
    plans: list[Plan] = field(default_factory=list)
    cancels: list[Cancel] = field(default_factory=list)
    reason: str = ""


def dedup_key(*parts: str) -> str:
    """Join stable identifiers; hash the tail when it would not fit the column."""
    key = ":".join(parts)
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: MAX_KEY - 65]}#{digest}"


def _status_is_stale(state: OrderState, target: OrderStatus, at: datetime) -> bool:
    current = state.status
    if current is None:
        return False
    if current is OrderStatus.CANCELED:
        return True
    if target is OrderStatus.CANCELED:
        return current is OrderStatus.DELIVERED
    if RANK[target] != RANK[current]:
        return RANK[target] < RANK[current]
    return state.status_at is not None and at < state.status_at


def staleness(state: OrderState, event: EventIn) -> str | None:
    """Why the event is too old for the order's state, or None when it applies."""
    target = STATUS_OF_EVENT.get(event.type)
    if target is not None and _status_is_stale(state, target, event.occurred_at):
        return f"order is already {state.status}; {event.type} is older"
    if event.type in ASIDE or state.status is None:
        return None
    if state.status is OrderStatus.CANCELED and target is None:
        return "order is canceled"
    if event.type in PROGRESS_INFO and _progress_is_stale(state, event.occurred_at):
        return f"order is already {state.status}"
    if event.type in BEFORE_SHIPPING and RANK.get(state.status, 9) >= RANK[OrderStatus.SHIPPED]:
        return f"order is already {state.status}"
    return None


def _progress_is_stale(state: OrderState, at: datetime) -> bool:
    if state.status in (OrderStatus.DELIVERED, OrderStatus.CANCELED):
        return True
    return state.status_at is not None and at < state.status_at


def _immediate_key(kind: Kind, event: EventIn) -> str:
    order_id = event.order_id or ""
    if kind is Kind.REFUND_ISSUED:
        return dedup_key(kind, order_id, event.event_id)
    if kind is Kind.ORDER_SHIPPED and event.shipment and event.shipment.tracking_number:
        return dedup_key(kind, order_id, event.shipment.tracking_number)
    if kind is Kind.OUT_OF_STOCK and event.order and event.order.items:
        skus = sorted(item.sku or item.name or "" for item in event.order.items)
        return dedup_key(kind, order_id, ",".join(skus))
    return dedup_key(kind, order_id)


def _immediate(event: EventIn, now: datetime, email_copy: Collection[Kind]) -> list[Plan]:
    kind = IMMEDIATE_KIND.get(event.type)
    if event.type == "order.placed" and _payment_pending(event):
        kind = Kind.PAYMENT_PENDING  # how to pay now; the confirmation waits for order.paid
    if kind is None or event.order_id is None:
        return []
    plan = Plan(kind, _immediate_key(kind, event), now)
    if kind not in email_copy:
        return [plan]
    return [plan, Plan(kind, f"{plan.dedup_key}:email", now, only_channel=Channel.EMAIL)]


def _payment_pending(event: EventIn) -> bool:
    return event.payment is not None and event.payment.status == "pending"


def _target_status(event: EventIn) -> OrderStatus | None:
    if event.type == "order.placed" and _payment_pending(event):
        return OrderStatus.PAYMENT_PENDING
    return STATUS_OF_EVENT.get(event.type)


def _later(event: EventIn, policy: Policy, timezone: str) -> list[Plan]:
    return [
        Plan(f.kind, dedup_key(f.key), f.due_at, scheduled=True, moves=f.moves)
        for f in scheduled(event, policy) + payments.reminders(event, policy, timezone)
    ]


def decide(
    state: OrderState, event: EventIn, now: datetime, policy: Policy,
    timezone: str = DEFAULT_READER.timezone,
) -> Decision:  # fmt: skip
    """Apply the contract's table (CONTRACT §1) to one event, as of `now`; `timezone` is the
    customer's (their payment reminder keeps to its quiet hours).

    Kinds in the policy's `email_copy` get a second message restricted to email, sent unless
    the first one already went by email."""
    reason = staleness(state, event)
    if reason is not None:
        return Decision(stale=True, reason=reason)
    return Decision(
        stale=False,
        new_status=_target_status(event),
        plans=_immediate(event, now, policy.email_copy) + _later(event, policy, timezone),
        cancels=cancellations(event) + payments.cancellations(event),
    )
