"""Planned messages become rows: the facts each one is rendered from, its status and due time.

The store inserts them (`store.notifications.insert_planned`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifier.contract.events import EventIn
from notifier.decide import cancellation, choices, payments, stock
from notifier.decide.compensation import incentive_view
from notifier.decide.facts import CustomerLike, OrderLike, snapshot
from notifier.decide.playbook import Plan
from notifier.decide.policy import Policy
from notifier.vocabulary import Kind, NotificationStatus, OrderStatus


@dataclass(frozen=True)
class Message:
    """A message to plan: when and under which key, the facts it adds to the order's, and
    the compensation tier it offers (0: none; the store issues or reuses the coupon)."""

    plan: Plan
    extras: dict[str, Any]
    offer_tier: int = 0


@dataclass(frozen=True)
class Before:
    """The order before the event, as a kind's facts need it: its status, and whether a delay
    notice of ours went out for it (the pipeline knows; decisions only read it)."""

    status: OrderStatus | None = None
    delay_told: bool = False


def customer_facts(customer: CustomerLike | None) -> dict[str, Any]:
    """The customer as templates know them."""
    return {"id": customer.id, "name": customer.name} if customer else {}


def kind_extras(
    plan: Plan, event: EventIn, order: OrderLike | None, policy: Policy, before: Before = Before()
) -> dict[str, Any]:
    """The facts a kind needs beyond the order: the cart, its incentive (valid from the
    reminder's time), the review link, the payment voucher, what a cancellation means, what
    an item out of stock means."""
    kind = plan.kind
    if kind is Kind.ORDER_CANCELED and order is not None:
        told = cancellation.facts(
            event, order.details or {}, before.status, before.delay_told, policy.shop_url
        )
        return {"cancellation": told}
    if kind is Kind.OUT_OF_STOCK and order is not None:
        return {"out_of_stock": stock.facts(event, order.details or {}, policy.out_of_stock)}
    if kind in (Kind.CART_REMINDER_1, Kind.CART_REMINDER_2) and event.cart:
        cart = event.cart.model_dump(mode="json", exclude_none=True)
        incentive = policy.cart_incentive if kind is Kind.CART_REMINDER_2 else None
        offered = incentive_view(incentive, plan.due_at, event.cart.currency)
        return {"cart": cart, "incentive": offered}
    if kind is Kind.REVIEW_REQUEST and order is not None:
        return {"review_url": review_url(order, policy)}
    if kind in payments.PAYMENT_KINDS:
        return payments.extras(event, policy.spei)
    return {}


def review_url(order: OrderLike, policy: Policy) -> str | None:
    """The policy's review link for the order, else the order's own page."""
    details = order.details or {}
    if policy.review_url:
        number = details.get("number") or order.id
        return policy.review_url.format(order_id=order.id, order_number=number)
    status_url: str | None = details.get("status_url")
    return status_url


SCAN = "late-order-scan"  # the cause recorded for messages the scan plans


def notification_row(
    plan: Plan,
    event: EventIn | None,
    order: OrderLike | None,
    customer: CustomerLike | None,
    now: datetime,
    extras: dict[str, Any],
) -> dict[str, Any]:
    """The row for a planned message, with the snapshot it will be rendered from."""
    affected = _affected_items(event) if event and plan.kind is Kind.OUT_OF_STOCK else []
    details = order.details if order else {}
    shipment = order.shipment if order else {}
    due_now = not plan.scheduled and plan.due_at <= now
    context = snapshot(customer_facts(customer), details, shipment, affected, **extras)
    offered = choices.offered(plan.kind, context)
    if offered:
        context["choices"] = offered
    return {
        "dedup_key": plan.dedup_key,
        "only_channel": plan.only_channel,
        "kind": plan.kind,
        "order_id": order.id if order else None,
        "customer_id": customer.id if customer else None,
        "cart_id": event.cart.id if event and event.cart else None,
        "event_id": event.event_id if event else SCAN,
        "status": NotificationStatus.QUEUED if due_now else NotificationStatus.SCHEDULED,
        "due_at": plan.due_at,
        "context": context,
        "created_at": now,
        "updated_at": now,
    }


def _affected_items(event: EventIn) -> list[dict[str, Any]]:
    if event.order is None or not event.order.items:
        return []
    return [item.model_dump(mode="json") for item in event.order.items]
