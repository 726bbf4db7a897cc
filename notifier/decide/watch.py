"""Telling a customer about a delay first: signals from events and from the scan, the offer,
and when to look at the order next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifier.contract.events import EventIn
from notifier.decide import delays
from notifier.decide.facts import CustomerLike, OrderLike
from notifier.decide.planning import Message
from notifier.decide.playbook import Plan, dedup_key
from notifier.decide.policy import Policy
from notifier.vocabulary import Channel, Kind

ETA_EVENTS = frozenset({"order.shipped", "shipment.in_transit", "shipment.eta_updated"})
SCAN_EVENTS = frozenset({"order.shipped", "shipment.in_transit", "shipment.eta_updated",
                         "shipment.exception", "shipment.out_for_delivery"})  # fmt: skip


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def facts_of(order: OrderLike) -> delays.OrderFacts:
    """The delay rules' view of an order."""
    details, shipment = order.details or {}, order.shipment or {}
    return delays.OrderFacts(
        status=order.status,
        promised=_when(details.get("promised_delivery_at")),
        ship_by=_when(details.get("ship_by")),
        eta=_when(shipment.get("eta")),
        last_scan_at=order.last_scan_at,
        notified_eta=order.notified_eta,
    )


def last_scan(order: OrderLike, event: EventIn) -> datetime | None:
    """The order's last carrier scan after the event: a carrier event is a sign of life for
    the stalled-shipment rule."""
    if event.type in SCAN_EVENTS and (
        order.last_scan_at is None or event.occurred_at > order.last_scan_at
    ):
        return event.occurred_at
    return order.last_scan_at


def signal_from_event(order: OrderLike, event: EventIn) -> delays.Signal | None:
    """The delay an event reveals, if any."""
    facts = facts_of(order)
    if event.type == "shipment.exception":
        return delays.on_exception(facts, event.shipment.reason if event.shipment else None)
    if event.type in ETA_EVENTS:
        return delays.on_eta(facts)
    return None


@dataclass(frozen=True)
class DelayNotice:
    """What a delay signal asks for: the notice (and its email copy) with the compensation
    tier it offers, the ETA the customer is told, and a note for a person when the customer is
    a VIP (a priority handoff)."""

    messages: list[Message]
    notified_eta: datetime | None
    vip_note: str | None


def delay_notice(
    order: OrderLike, customer: CustomerLike | None, signal: delays.Signal, now: datetime,
    policy: Policy,
) -> DelayNotice:  # fmt: skip
    """The delay notice for a signal, due now, with its facts (the delay; the offer is added
    by whoever issues it)."""
    facts = facts_of(order)
    vip = (customer.orders_count or 0) >= policy.compensation.vip_orders if customer else False
    tier = delays.choose_tier(signal.days_late, vip, policy.compensation.tiers)
    delay = {
        "reason": signal.reason,
        "exception_reason": signal.exception_reason,
        "new_eta": signal.new_eta.isoformat() if signal.new_eta else None,
        "promised": facts.promised.isoformat() if facts.promised else None,
        "days_late": signal.days_late,
    }
    plan = Plan(Kind.DELAY_NOTICE, dedup_key("delay_notice", order.id, signal.key), now)
    messages = [Message(plan, {"delay": delay}, tier)]
    if Kind.DELAY_NOTICE in policy.email_copy:
        copy = Plan(plan.kind, f"{plan.dedup_key}:email", now, only_channel=Channel.EMAIL)
        messages.append(Message(copy, {"delay": delay}, tier))
    eta = signal.new_eta if signal.reason == "eta_later" else None
    note = f"VIP customer: {signal.reason} on order {order.id} ({signal.key})" if vip else None
    return DelayNotice(messages, eta, note)


def next_check(
    order: OrderLike, policy: Policy, now: datetime, just_checked: bool
) -> datetime | None:
    """When the scan looks at the order next. A watch time already past is kept after an
    event (the next scan looks at once) but dropped after a scan that looked at it."""
    upcoming = delays.next_check(facts_of(order), policy.late_orders)
    looked_already = upcoming is not None and upcoming <= now and just_checked
    return None if looked_already else upcoming
