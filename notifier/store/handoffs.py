"""Handoffs, the conversations a person answers: opened or joined under one open key per
customer (or phone), with the context a person needs, and forwarded to support (one
`support_forwards` row per message and destination)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from notifier.decide import hours
from notifier.decide.policy import Policy
from notifier.store import care
from notifier.store.models import Customer, Handoff, Order
from notifier.vocabulary import ForwardStatus, HandoffStatus

RECENT_ORDERS = 3
LAST_MESSAGES = 3
TARGETS = ("webhook", "email")
HELD = "held: a person is answering this customer (open handoff)"
HOLD_RECHECK = timedelta(hours=1)  # a safety net: closing releases held messages at once


@dataclass(frozen=True)
class Opening:
    """Who a conversation is with and why it was opened."""

    key: str
    customer: Customer | None
    reason: str
    channel: str | None = None
    address: str | None = None
    priority: bool = False


def open_or_join(
    session: Session, opening: Opening, entry: dict[str, Any], now: datetime, policy: Policy
) -> tuple[Handoff, bool]:
    """The open conversation under the key with the entry added, or a new one; (it, opened)."""
    context = _context(session, opening.customer)
    handoff = care.open_handoff(session, opening.key)
    if handoff is None:
        new_id = care.insert_handoff(session, _new(opening, entry, context, now, policy))
        if new_id is not None:
            return session.get_one(Handoff, new_id), True
        handoff = care.open_handoff(session, opening.key)  # a concurrent one won
        assert handoff is not None
    if entry.get("sid") and any(m.get("sid") == entry["sid"] for m in handoff.messages or []):
        return handoff, False  # the provider posted the same message again
    handoff.messages = [*(handoff.messages or []), entry]
    handoff.context = context
    handoff.priority = handoff.priority or opening.priority
    handoff.updated_at = now
    return handoff, False


def _new(
    opening: Opening, entry: dict[str, Any], context: dict[str, Any], now: datetime, policy: Policy
) -> dict[str, Any]:
    customer = opening.customer
    return {
        "open_key": opening.key,
        "customer_id": customer.id if customer else None,
        "status": HandoffStatus.OPEN,
        "priority": opening.priority,
        "reason": opening.reason,
        "channel": opening.channel,
        "address": opening.address,
        "messages": [entry],
        "context": context,
        "reply_by": hours.answer_by(now, policy.support).reply_by,
        "opened_at": now,
        "updated_at": now,
    }


def _context(session: Session, customer: Customer | None) -> dict[str, Any]:
    """What a person needs to answer: who, their latest orders, what we last told them."""
    if customer is None:
        return {"customer": None, "orders": [], "last_messages": []}
    orders = care.recent_orders(session, customer.id, RECENT_ORDERS)
    sent = care.last_sent(session, customer.id, LAST_MESSAGES)
    return {
        "customer": {
            "id": customer.id, "name": customer.name, "phone": customer.phone,
            "email": customer.email, "locale": customer.locale,
            "orders_count": customer.orders_count,
        },
        "orders": [_order(order) for order in orders],
        "last_messages": [
            {"kind": str(n.kind), "order_id": n.order_id, "channel": str(n.channel),
             "sent_at": n.sent_at.isoformat() if n.sent_at else None, "body": n.body}
            for n in sent
        ],
    }  # fmt: skip


def _order(order: Order) -> dict[str, Any]:
    details, shipment = order.details or {}, order.shipment or {}
    return {
        "id": order.id,
        "number": details.get("number") or order.id,
        "status": str(order.status) if order.status else None,
        "total": details.get("total"),
        "currency": details.get("currency"),
        "status_url": details.get("status_url"),
        "tracking_url": shipment.get("tracking_url"),
        "eta": shipment.get("eta"),
    }


def plan_forwards(session: Session, handoff: Handoff, now: datetime) -> list[int]:
    """One forward per destination for the handoff's latest message; the new ids, due now."""
    seq = len(handoff.messages or [])
    ids = []
    for target in TARGETS:
        values = {"handoff_id": handoff.id, "seq": seq, "target": target,
                  "status": ForwardStatus.PENDING, "attempts": 0, "due_at": now,
                  "created_at": now, "updated_at": now}  # fmt: skip
        new_id = care.insert_forward(session, values)
        if new_id is not None:
            ids.append(new_id)
    return ids


def open_for_vip(
    session: Session, customer: Customer | None, note: str | None, now: datetime, policy: Policy
) -> None:
    """A delay for a VIP customer (`note` set by the decision): a person follows up personally,
    in a priority handoff, once per delay signal. Forwarded to support at the scheduler's next
    pass."""
    if customer is None or note is None:
        return
    existing = care.open_handoff(session, customer.id)
    if existing is not None and any(m.get("note") == note for m in existing.messages or []):
        return
    opening = Opening(customer.id, customer, "vip_delay", priority=True)
    handoff, _ = open_or_join(session, opening, {"at": now.isoformat(), "note": note}, now, policy)
    plan_forwards(session, handoff, now)


def reopen(
    session: Session, handoff: Handoff, key: str, entry: dict[str, Any], now: datetime,
    policy: Policy,
) -> bool:  # fmt: skip
    """A closed conversation open again under `key`, with priority and a new answer-by time;
    False (nothing changed) while another one is open under that key."""
    if care.open_handoff(session, key) is not None:
        return False
    handoff.status, handoff.open_key, handoff.closed_at = HandoffStatus.OPEN, key, None
    handoff.priority = True
    handoff.messages = [*(handoff.messages or []), entry]
    handoff.reply_by = hours.answer_by(now, policy.support).reply_by
    handoff.updated_at = now
    session.flush()
    return True
