"""A customer's choice, taken once: stored, shown on the order's timeline, told to the shop
(`customer.choice`), acknowledged at once (`choice_ack`, saying what happens next), and acted
on: `person`, a satisfaction score of 3 or less and a follow-up answered "no" put a person on
it (a handoff, priority for the last two); `cancel` is carried out at Shopify when configured
(`care/choice_actions.py`). The same inbound message twice, or the same choice for the same
message twice, is taken once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier import ports
from notifier.care import choice_actions
from notifier.care.parts import Parts
from notifier.decide import choices, hours, planning
from notifier.decide.playbook import Plan
from notifier.store import choices as stored
from notifier.store import handoffs, orders, shop_webhooks
from notifier.store.db import session_scope
from notifier.store.models import Customer, Handoff, Notification
from notifier.store.notifications import insert_planned
from notifier.vocabulary import HandoffStatus, Kind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A customer's answer to one of our messages."""

    notification_id: int
    choice: str
    channel: str  # whatsapp, sms or email
    via: str  # button, reply or link
    provider_message_id: str | None = None


@dataclass(frozen=True)
class Taken:
    """What taking a choice started: the acknowledgement, a handoff, a cancel at the shop."""

    choice_id: int
    ack_ids: list[int]
    forward_ids: list[int]
    shop_action: bool


class NotAChoice(LookupError):
    """The message does not exist or did not offer this choice."""


def take(runtime: Parts, answer: Answer) -> Taken | None:
    """Store the choice and act on it; None when it was taken already."""
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        message = session.get(Notification, answer.notification_id)
        if message is None or answer.choice not in (message.context or {}).get("choices", []):
            raise NotAChoice(f"message {answer.notification_id} offered no {answer.choice!r}")
        taken = _store(session, runtime, message, answer, now)
    if taken is None:
        log.info("choice %s for message %s: taken already", answer.choice, answer.notification_id)
        return None
    log.info("message %s: the customer chose %s", answer.notification_id, answer.choice)
    _hand_over(runtime, taken)
    return taken


def _store(
    session: Session, runtime: Parts, message: Notification, answer: Answer, now: datetime
) -> Taken | None:
    values = _row(message, answer, runtime, now)
    choice_id = stored.insert_choice(session, values)
    if choice_id is None:
        return None
    message.history = [*(message.history or []), _timeline_entry(answer, now)]
    shop_webhooks.emit_customer_choice(
        session, runtime.settings, message.order_id, message.customer_id, answer.choice,
        message.id, now,
    )  # fmt: skip
    customer = orders.get_customer(session, message.customer_id)
    handoff = _person_needed(session, runtime, message, customer, answer, now)
    forwards = handoffs.plan_forwards(session, handoff, now) if handoff else []
    facts = _choice_facts(runtime, message, answer, handoff, now, values["shop_action"])
    acks = _acknowledge(session, message, customer, choice_id, facts, now)
    return Taken(choice_id, acks, forwards, values["shop_action"] is not None)


def _row(message: Notification, answer: Answer, runtime: Parts, now: datetime) -> dict[str, Any]:
    acts = answer.choice == choices.CANCEL and choice_actions.can_cancel_at_shop(
        runtime.settings, message.order_id
    )
    return {
        "notification_id": message.id, "order_id": message.order_id,
        "customer_id": message.customer_id, "choice": answer.choice,
        "score": choices.score_of(answer.choice), "channel": answer.channel, "via": answer.via,
        "provider_message_id": answer.provider_message_id, "at": now,
        "shop_action": stored.PENDING if acts else None, "shop_action_attempts": 0,
        "shop_action_due_at": now if acts else None,
    }  # fmt: skip


def _timeline_entry(answer: Answer, now: datetime) -> dict[str, Any]:
    return {"at": now.isoformat(), "outcome": "customer chose", "choice": answer.choice,
            "channel": answer.channel, "via": answer.via}  # fmt: skip


def _person_needed(
    session: Session, runtime: Parts, message: Notification, customer: Customer | None,
    answer: Answer, now: datetime,
) -> Handoff | None:  # fmt: skip
    """The handoff the choice opens (or reopens), if it needs a person."""
    score = choices.score_of(answer.choice)
    low = score is not None and score <= choices.LOW_SCORE
    if customer is None or not (low or answer.choice in (choices.PERSON, choices.SOLVED_NO)):
        return None
    number = (message.context.get("order") or {}).get("number") or message.order_id
    note = f"the customer chose {answer.choice} (order {number}, {message.kind})"
    entry = {"at": now.isoformat(), "channel": answer.channel, "note": note}
    if answer.choice == choices.SOLVED_NO:
        return _reopen(session, runtime, message, customer, entry, now)
    reason = "low_satisfaction" if low else "customer_asked"
    opening = handoffs.Opening(customer.id, customer, reason, answer.channel, priority=low)
    handoff, _ = handoffs.open_or_join(session, opening, entry, now, runtime.policy)
    return handoff


def _reopen(
    session: Session, runtime: Parts, message: Notification, customer: Customer,
    entry: dict[str, Any], now: datetime,
) -> Handoff:  # fmt: skip
    """The follow-up's handoff open again, with priority (or the customer's open one joined)."""
    earlier_id = (message.context.get("handoff") or {}).get("id")
    earlier = session.get(Handoff, earlier_id, with_for_update=True) if earlier_id else None
    if earlier is not None and _reopened(session, runtime, earlier, customer, entry, now):
        return earlier
    opening = handoffs.Opening(customer.id, customer, "not_solved", entry["channel"], priority=True)
    handoff, _ = handoffs.open_or_join(session, opening, entry, now, runtime.policy)
    return handoff


def _reopened(
    session: Session, runtime: Parts, handoff: Handoff, customer: Customer,
    entry: dict[str, Any], now: datetime,
) -> bool:  # fmt: skip
    if handoff.status is not HandoffStatus.CLOSED:
        return False
    return handoffs.reopen(session, handoff, customer.id, entry, now, runtime.policy)


def _choice_facts(
    runtime: Parts, message: Notification, answer: Answer, handoff: Handoff | None,
    now: datetime, shop_action: str | None,
) -> dict[str, Any]:  # fmt: skip
    person = None
    if handoff is not None:
        answer_by = hours.answer_by(now, runtime.policy.support)
        person = {"reply_by": (handoff.reply_by or answer_by.reply_by).isoformat(),
                  "in_hours": answer_by.in_hours,
                  "response_seconds": int(answer_by.response_time.total_seconds())}  # fmt: skip
    return {"name": answer.choice, "score": choices.score_of(answer.choice),
            "answered_kind": str(message.kind), "shop_acts": shop_action is not None,
            "handoff": person}  # fmt: skip


def _acknowledge(
    session: Session, message: Notification, customer: Customer | None, choice_id: int,
    facts: dict[str, Any], now: datetime,
) -> list[int]:  # fmt: skip
    """Plan the `choice_ack`, rendered from what the answered message said plus the choice."""
    if customer is None:
        return []
    plan = Plan(Kind.CHOICE_ACK, f"choice_ack:{choice_id}", now)
    row = planning.notification_row(plan, None, None, customer, now, {})
    answered = {key: value for key, value in message.context.items() if key != "choices"}
    row |= {"order_id": message.order_id, "event_id": f"choice:{choice_id}",
            "context": answered | {"choice": facts}}  # fmt: skip
    return insert_planned(session, [plan], [row], now)


def _hand_over(runtime: Parts, taken: Taken) -> None:
    for notification_id in taken.ack_ids:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
    for forward_id in taken.forward_ids:
        runtime.dispatcher.send(ports.FORWARD, forward_id)
    if taken.shop_action:
        runtime.dispatcher.send(ports.SHOP_ACTION, taken.choice_id)
