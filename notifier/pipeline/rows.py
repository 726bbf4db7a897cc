"""Planned messages into rows, with the compensation each offers issued (or reused) by the
store once per tier; shared by processing and the late-order scan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier.contract.events import EventIn
from notifier.decide import planning
from notifier.decide.facts import Reader
from notifier.decide.planning import Message
from notifier.decide.policy import Compensation
from notifier.store import orders
from notifier.store.models import Customer, Order


def rows_of(
    session: Session, messages: list[Message], event: EventIn | None, order: Order | None,
    customer: Customer | None, now: datetime, policy: Compensation, reader: Reader,
) -> list[dict[str, Any]]:  # fmt: skip
    """The notification rows of the messages, each offer added where a message carries one
    (a new coupon in the language the customer `reader` reads)."""
    offers: dict[int, dict[str, Any] | None] = {}
    rows = []
    for message in messages:
        extras = message.extras
        if message.offer_tier and order is not None:
            tier = message.offer_tier
            if tier not in offers:
                offers[tier] = orders.offer_for(session, order, tier, policy, reader.locale, now)
            extras = extras | {"offer": offers[tier]}
        rows.append(planning.notification_row(message.plan, event, order, customer, now, extras))
    return rows
