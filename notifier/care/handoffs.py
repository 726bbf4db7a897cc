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
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from adapters.channels.base import mask_phone
from notifier import ports
from notifier.care.parts import Parts
from notifier.care.records import record
from notifier.decide import hours, planning
from notifier.decide.playbook import Plan
from notifier.decide.policy import Policy
from notifier.errors import NotifierError
from notifier.store import care, orders
from notifier.store import handoffs as stored
from notifier.store.db import session_scope
from notifier.store.handoffs import HELD
from notifier.store.models import Customer, Handoff
from notifier.store.notifications import insert_planned
from notifier.vocabulary import HandoffStatus, Kind

log = logging.getLogger(__name__)


class HandoffNotFound(NotifierError):
    """No handoff with that id."""


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
        customer = orders.get_customer(session, customer_id)
        key = customer.id if customer else f"phone:{phone}"
        opening = stored.Opening(key, customer, "customer_message", channel, phone)
        handoff, opened = stored.open_or_join(session, opening, entry, now, runtime.policy)
        forwards = stored.plan_forwards(session, handoff, now)
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
    return insert_planned(session, [plan], [row], now)


def close(runtime: Parts, handoff_id: int) -> dict[str, Any]:
    """Close a conversation (closing a closed one changes nothing) and release the marketing
    messages held for the customer: they are due again at once. A `handoff_followup` is
    planned for `support.followup_after` later. The handoff as a record."""
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
                _plan_followup(session, handoff, runtime.policy, now)
        return record(handoff)


def _plan_followup(session: Session, handoff: Handoff, policy: Policy, now: datetime) -> None:
    """Ask, `followup_after` the close, whether it was solved (once per close)."""
    customer = orders.get_customer(session, handoff.customer_id)
    if customer is None:
        return
    due = now + policy.support.followup_after
    key = f"handoff_followup:{handoff.id}:{now.isoformat()}"
    plan = Plan(Kind.HANDOFF_FOLLOWUP, key, due, scheduled=True)
    facts = {"id": handoff.id, "reason": handoff.reason,
             "opened_at": handoff.opened_at.isoformat(), "closed_at": now.isoformat()}  # fmt: skip
    row = planning.notification_row(plan, None, None, customer, now, {"handoff": facts})
    row["event_id"] = f"handoff:{handoff.id}"
    insert_planned(session, [plan], [row], now)


def records(db_url: str, only_open: bool = False) -> list[dict[str, Any]]:
    """Every handoff (or the open ones) as records, priority first, newest first."""
    status = HandoffStatus.OPEN if only_open else None
    with session_scope(db_url) as session:
        return [record(h) for h in care.list_handoffs(session, status)]
