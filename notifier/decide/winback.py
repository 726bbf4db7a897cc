"""Win-back: a customer who stopped buying gets one "we miss you", with the policy's incentive.

Each customer carries `winback_at`, the time the daily scan should look at them (their last
order plus `winback.after`), so the scan reads only the customers whose time has come, through
an index, never the whole table. The scan runs once a day (a `job_runs` row per day: two
schedulers never both run it), claims customers with `FOR UPDATE SKIP LOCKED` on PostgreSQL, and
each message has a dedup key per customer and look, so none is sent twice. Never within
`winback.again` of the last one, never without marketing consent, never while a person has the
customer's conversation open or an order of theirs is in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifier.contract.events import EventIn
from notifier.decide.compensation import incentive_view
from notifier.decide.playbook import Plan, dedup_key
from notifier.decide.policy import Winback
from notifier.vocabulary import Kind

JOB = "winback-scan"
ORDER_EVENTS = frozenset({"order.placed", "order.payment_pending"})
BATCH = 500


@dataclass(frozen=True)
class Lapsed:
    """What the win-back rule looks at for one customer."""

    last_order_at: datetime | None
    last_winback_at: datetime | None
    marketing: bool
    open_handoff: bool = False
    order_in_progress: bool = False
    winback_pending: bool = False
    currency: str | None = None  # of the last order: the incentive's least purchase is in it


def first_look(
    last_order_at: datetime, last_winback_at: datetime | None, rules: Winback
) -> datetime:
    """When a customer becomes worth winning back: `after` their last order, and not sooner
    than `again` after the last win-back."""
    at = last_order_at + rules.after
    if last_winback_at is not None:
        at = max(at, last_winback_at + rules.again)
    return at


def why_not(facts: Lapsed, now: datetime, rules: Winback) -> str | None:
    """Why the customer gets no win-back now; None when they get one."""
    if facts.last_order_at is None:
        return "no order known"
    if facts.winback_pending:
        return "a win-back is already on its way"
    if now < first_look(facts.last_order_at, facts.last_winback_at, rules):
        return "ordered or won back recently"
    if not facts.marketing:
        return "no marketing consent"
    if facts.open_handoff:
        return "a person has their conversation open"
    if facts.order_in_progress:
        return "an order is in progress"
    return None


def next_look(facts: Lapsed, now: datetime, rules: Winback) -> datetime | None:
    """When to look at a customer who got nothing this time."""
    if facts.last_order_at is None:
        return None
    upcoming = first_look(facts.last_order_at, facts.last_winback_at, rules)
    return upcoming if upcoming > now else now + rules.recheck


def order_moment(event: EventIn) -> datetime | None:
    """When the order an event is about was placed, for the events that tell of one."""
    if event.type not in ORDER_EVENTS or event.order is None:
        return None
    return event.order.placed_at or event.occurred_at


def first_facts(event: EventIn, rules: Winback) -> dict[str, Any]:
    """What a customer first met through this event starts with (created with it at once)."""
    moment = order_moment(event)
    if moment is None:
        return {}
    return {"last_order_at": moment, "winback_at": first_look(moment, None, rules)}


def note_order(
    last_order_at: datetime | None, last_winback_at: datetime | None, event: EventIn, rules: Winback
) -> dict[str, Any]:
    """What a new order changes of its customer: their last order and their next look."""
    moment = order_moment(event)
    if moment is None or (last_order_at is not None and moment <= last_order_at):
        return {}
    return {"last_order_at": moment, "winback_at": first_look(moment, last_winback_at, rules)}


def extras(facts: Lapsed, now: datetime, rules: Winback) -> dict[str, Any]:
    """The win-back's facts: its incentive (valid from now) and the shop's page."""
    assert facts.last_order_at is not None
    incentive = incentive_view(rules.incentive, now, facts.currency)
    days = (now - facts.last_order_at).days
    return {"incentive": incentive, "winback": {"url": rules.url, "days_since_order": days}}


@dataclass(frozen=True)
class Outcome:
    """What the scan does with one customer: the customer's new times, and the message to plan
    (with its facts) when they get a win-back now."""

    changes: dict[str, Any]
    message: tuple[Plan, dict[str, Any]] | None = None


def consider(
    customer_id: str, winback_at: datetime, facts: Lapsed, now: datetime, rules: Winback
) -> Outcome:
    """The customer's win-back, or when to look again; every path moves `winback_at` past
    `now`, so the scan always ends. One dedup key per customer and look.

    Planning one looks again after `recheck`: only a win-back that is sent pushes the next one
    `again` away (the delivery records it), so one skipped at send time (no consent left, no
    channel) is not a 90-day silence."""
    if why_not(facts, now, rules) is not None:
        return Outcome({"winback_at": next_look(facts, now, rules)})
    key = dedup_key("winback", customer_id, str(int(winback_at.timestamp())))
    changes = {"winback_at": now + rules.recheck}
    return Outcome(changes, (Plan(Kind.WINBACK, key, now), extras(facts, now, rules)))
