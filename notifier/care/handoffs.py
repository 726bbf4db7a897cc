"""Conversations that need a person: open, join, acknowledge, hold marketing, close.

A customer's free-text reply (anything that is not STOP/START/HELP) is not answered by a robot:
it opens a handoff holding their words, their recent orders and the last messages we sent them,
forwarded to support (`support.py`), and the customer gets a `handoff_ack` saying by when a
person will answer. A second message while it is open joins it. A delay for a VIP customer opens
one marked priority, so a person follows up. While it is open, marketing kinds to the customer
are held (deferred, not dropped) and released when it closes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from adapters.channels.base import mask_phone
from notifier import ports
from notifier.care import support
from notifier.care.parts import Parts
from notifier.care.records import record
from notifier.decide import hours, planning
from notifier.decide.playbook import Plan
from notifier.decide.policy import Policy
from notifier.errors import NotifierError
from notifier.store import care, queries
from notifier.store.db import session_scope
from notifier.store.models import Customer, Handoff, Order
from notifier.vocabulary import HandoffStatus, Kind

if TYPE_CHECKING:
    from notifier.decide.delays import Signal

log = logging.getLogger(__name__)

HELD = "held: a person is answering this customer (open handoff)"
HOLD_RECHECK = timedelta(hours=1)  # a safety net: closing releases held messages at once
RECENT_ORDERS = 3
LAST_MESSAGES = 3


class HandoffNotFound(NotifierError):
    """No handoff with that id."""


@dataclass(frozen=True)
class Opening:
    """Who a conversation is with and why it was opened."""

    key: str
    customer: Customer | None
    reason: str
    channel: str | None = None
    address: str | None = None
    priority: bool = False


def receive(
    runtime: Parts, channel: str, phone: str, text: str, customer_id: str | None,
    sid: str | None = None,
) -> int:  # fmt: skip
    """A customer's free text: open their conversation (or join the open one), forward it to
    support, and acknowledge a new one. The same provider message id twice joins once. The
    handoff's id."""
    now = runtime.clock()
    entry = {"at": now.isoformat(), "channel": channel, "text": text, "sid": sid}
    with session_scope(runtime.db_url) as session:
        customer = queries.get_customer(session, customer_id)
        key = customer.id if customer else f"phone:{phone}"
        opening = Opening(key, customer, "customer_message", channel, phone)
        handoff, opened = open_or_join(session, opening, entry, now, runtime.policy)
        forwards = support.plan_forwards(session, handoff, now)
        acks = _acknowledge(session, handoff, customer, now, runtime.policy) if opened else []
        handoff_id = handoff.id
    log.info(
        "handoff %s %s for %s", handoff_id, "opened" if opened else "joined", mask_phone(phone)
    )
    for forward_id in forwards:
        runtime.dispatcher.send(ports.FORWARD, forward_id)
    for notification_id in acks:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
    return handoff_id


def open_for_vip(
    session: Session, order: Order, customer: Customer | None, signal: Signal, policy: Policy,
    now: datetime,
) -> None:  # fmt: skip
    """A delay for a VIP customer: a person follows up personally (a priority handoff, once per
    delay signal). Forwarded to support at the scheduler's next pass."""
    if customer is None or (customer.orders_count or 0) < policy.compensation.vip_orders:
        return
    note = f"VIP customer: {signal.reason} on order {order.id} ({signal.key})"
    existing = care.open_handoff(session, customer.id)
    if existing is not None and any(m.get("note") == note for m in existing.messages or []):
        return
    opening = Opening(customer.id, customer, "vip_delay", priority=True)
    handoff, _ = open_or_join(session, opening, {"at": now.isoformat(), "note": note}, now, policy)
    support.plan_forwards(session, handoff, now)


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


def _acknowledge(
    session: Session, handoff: Handoff, customer: Customer | None, now: datetime, policy: Policy
) -> list[int]:
    """Plan the customer's `handoff_ack` (once per handoff), saying by when a person answers;
    the ids due now."""
    if customer is None:
        return []  # an unknown number: nobody to route a message to
    answer = hours.answer_by(now, policy.support)
    facts = {
        "in_hours": answer.in_hours,
        "reply_by": answer.reply_by.isoformat(),
        "response_seconds": int(answer.response_time.total_seconds()),
    }
    plan = Plan(Kind.HANDOFF_ACK, f"handoff_ack:{handoff.id}", now)
    row = planning.notification_row(plan, None, None, customer, now, {"handoff": facts})
    row["event_id"] = f"handoff:{handoff.id}"
    return planning.insert_rows(session, [plan], [row], now)


def close(runtime: Parts, handoff_id: int) -> dict[str, Any]:
    """Close a conversation (closing a closed one changes nothing) and release the marketing
    messages held for the customer: they are due again at once. The handoff as a record."""
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        handoff = session.get(Handoff, handoff_id, with_for_update=True)
        if handoff is None:
            raise HandoffNotFound(f"no handoff {handoff_id}")
        if handoff.status is HandoffStatus.OPEN:
            handoff.status, handoff.closed_at, handoff.open_key = HandoffStatus.CLOSED, now, None
            handoff.updated_at = now
            if handoff.customer_id is not None:
                care.release_held(session, handoff.customer_id, HELD, now)
        return record(handoff)


def records(db_url: str, only_open: bool = False) -> list[dict[str, Any]]:
    """Every handoff (or the open ones) as records, priority first, newest first."""
    status = HandoffStatus.OPEN if only_open else None
    with session_scope(db_url) as session:
        return [record(h) for h in care.list_handoffs(session, status)]
