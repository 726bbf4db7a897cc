"""Telling a customer about a delay first: signals from events and from the scan, the offer,
and when to look at the order next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier.care import handoffs
from notifier.contract.events import EventIn
from notifier.decide import delays
from notifier.decide.compensation import offer_for
from notifier.decide.playbook import Plan, dedup_key
from notifier.decide.policy import Policy
from notifier.store.models import Customer, Order
from notifier.vocabulary import Channel, Kind

ETA_EVENTS = frozenset({"order.shipped", "shipment.in_transit", "shipment.eta_updated"})
SCAN_EVENTS = frozenset({"order.shipped", "shipment.in_transit", "shipment.eta_updated",
                         "shipment.exception", "shipment.out_for_delivery"})  # fmt: skip


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def facts_of(order: Order) -> delays.OrderFacts:
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


def note_scan(order: Order, event: EventIn) -> None:
    """A carrier event is a sign of life for the stalled-shipment rule."""
    if event.type in SCAN_EVENTS and (
        order.last_scan_at is None or event.occurred_at > order.last_scan_at
    ):
        order.last_scan_at = event.occurred_at


def signal_from_event(order: Order, event: EventIn) -> delays.Signal | None:
    """The delay an event reveals, if any."""
    facts = facts_of(order)
    if event.type == "shipment.exception":
        return delays.on_exception(facts, event.shipment.reason if event.shipment else None)
    if event.type in ETA_EVENTS:
        return delays.on_eta(facts)
    return None


def delay_plan(
    session: Session,
    order: Order,
    customer: Customer | None,
    signal: delays.Signal,
    now: datetime,
    policy: Policy,
) -> tuple[Plan, dict[str, Any]]:
    """The delay notice for a signal, due now, and its facts (the delay and the offer)."""
    facts = facts_of(order)
    vip = (customer.orders_count or 0) >= policy.compensation.vip_orders if customer else False
    tier = delays.choose_tier(signal.days_late, vip, policy.compensation.tiers)
    number = (order.details or {}).get("number") or order.id
    offer = offer_for(session, order.id, number, tier, policy.compensation)
    if signal.reason == "eta_later":
        order.notified_eta = signal.new_eta
    delay = {
        "reason": signal.reason,
        "exception_reason": signal.exception_reason,
        "new_eta": signal.new_eta.isoformat() if signal.new_eta else None,
        "promised": facts.promised.isoformat() if facts.promised else None,
        "days_late": signal.days_late,
    }
    plan = Plan(Kind.DELAY_NOTICE, dedup_key("delay_notice", order.id, signal.key), now)
    return plan, {"delay": delay, "offer": offer}


def delay_plans(
    session: Session,
    order: Order,
    customer: Customer | None,
    signal: delays.Signal,
    now: datetime,
    policy: Policy,
) -> list[tuple[Plan, dict[str, Any]]]:
    """The delay notice, and its email copy when the policy asks for one. A VIP customer's
    delay also goes to a person (a priority handoff)."""
    plan, extras = delay_plan(session, order, customer, signal, now, policy)
    handoffs.open_for_vip(session, order, customer, signal, policy, now)
    if Kind.DELAY_NOTICE not in policy.email_copy:
        return [(plan, extras)]
    copy = Plan(plan.kind, f"{plan.dedup_key}:email", now, only_channel=Channel.EMAIL)
    return [(plan, extras), (copy, extras)]


def rewatch(order: Order, policy: Policy, now: datetime, just_checked: bool) -> None:
    """Set when the scan looks at the order next. A watch time already past is kept after an
    event (the next scan looks at once) but dropped after a scan that looked at it."""
    upcoming = delays.next_check(facts_of(order), policy.late_orders)
    looked_already = upcoming is not None and upcoming <= now and just_checked
    order.next_check_at = None if looked_already else upcoming
