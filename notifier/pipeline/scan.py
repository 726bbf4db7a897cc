"""The scheduler's scans: late orders found and told first, and the day's win-back.

Each reads only the rows whose time has come (an indexed watch time), claims them with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, asks `decide` what to do with each, and writes it; the
messages due now are handed to delivery after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from notifier import ports
from notifier.decide import delays, planning, watch, winback
from notifier.decide.facts import OrderView, Reader
from notifier.decide.policy import Winback
from notifier.decide.routing import MARKETING_OPT_OUT
from notifier.pipeline.parts import Parts
from notifier.store import care, orders
from notifier.store import watch as watch_store
from notifier.store.db import session_scope
from notifier.store.handoffs import open_for_vip
from notifier.store.models import Customer
from notifier.store.notifications import insert_planned
from notifier.store.planned import insert_planned_many

BATCH = 500
# Due messages go to delivery as one queue message (a `deliver_batch` task) per this many ids.
IDS_PER_MESSAGE = 50


def scan_late_orders(runtime: Parts, now: datetime) -> int:
    """Look at the orders whose watch time has come; tell the late ones. How many notices.

    A batch of orders costs a handful of statements, not a few per order: the orders claimed
    and their customers read in two, each decided here, then the watch times, the offers and
    the notices written in one multi-row statement each (a VIP's handoff is its own)."""
    handed = 0
    while True:
        with session_scope(runtime.db_url) as session:
            due = watch_store.claim_due_orders(session, now, BATCH)
            due_now = _check_batch(session, runtime, due, now)
        _hand_over(runtime, due_now)
        handed += len(due_now)
        if len(due) < BATCH:
            return handed


@dataclass(frozen=True)
class _Told:
    """A late order's notice, with whom it goes to and how they read."""

    order: OrderView
    customer: watch_store.CustomerView | None
    notice: watch.DelayNotice
    reader: Reader


def _check_batch(
    session: Session, runtime: Parts, due: list[OrderView], now: datetime
) -> list[int]:
    policy, settings = runtime.policy, runtime.settings
    default = Reader(settings.default_locale, settings.default_timezone)
    customers = watch_store.customers_by_id(session, {o.customer_id for o in due if o.customer_id})
    checks, told = [], []
    for order in due:
        signal = delays.on_scan(watch.facts_of(order), now, policy.late_orders)
        next_check_at = watch.next_check(order, policy, now, just_checked=True)
        notified_eta = order.notified_eta
        if signal is not None:
            customer = customers.get(order.customer_id) if order.customer_id else None
            notice = watch.delay_notice(order, customer, signal, now, policy)
            notified_eta = notice.notified_eta or notified_eta
            if notice.vip_note is not None and customer is not None:  # a VIP: rare
                vip = orders.get_customer(session, customer.id)
                open_for_vip(session, vip, notice.vip_note, now, policy)
            reader = default if customer is None else default.of(customer.locale, customer.timezone)
            told.append(_Told(order, customer, notice, reader))
        checks.append(watch_store.Check(order.id, next_check_at, notified_eta))
    watch_store.save_checks(session, checks)
    wanted = [
        watch_store.Wanted(t.order, m.offer_tier, t.reader.locale)
        for t in told
        for m in t.notice.messages
        if m.offer_tier
    ]
    offers = watch_store.offers_for(session, wanted, policy.compensation, now)
    plans, rows = [], []
    for t in told:
        for message in t.notice.messages:
            extras = message.extras
            if message.offer_tier:
                extras = extras | {"offer": offers[(t.order.id, message.offer_tier)]}
            plans.append(message.plan)
            rows.append(planning.notification_row(message.plan, None, t.order, t.customer, now,
                                                  extras))  # fmt: skip
    return insert_planned_many(session, plans, rows, now)


def scan_winback(runtime: Parts, now: datetime) -> int:
    """The day's win-back scan, if no scheduler ran it yet today; how many were handed over."""
    day = now.astimezone(UTC).date().isoformat()
    with session_scope(runtime.db_url) as session:
        if not care.claim_job_run(session, winback.JOB, day, now):
            return 0
    due_now: list[int] = []
    while True:
        with session_scope(runtime.db_url) as session:
            customers = care.customers_due_for_winback(session, now, BATCH)
            for customer in customers:
                due_now += _consider(session, customer, now, runtime.policy.winback)
        if len(customers) < BATCH:
            break
    _hand_over(runtime, due_now)
    return len(due_now)


def _lapsed(session: Session, customer: Customer, now: datetime, rules: Winback) -> winback.Lapsed:
    return winback.Lapsed(
        customer.last_order_at,
        customer.last_winback_at,
        bool((customer.consent or {}).get("marketing", False))
        and MARKETING_OPT_OUT not in (customer.opted_out or []),
        care.has_open_handoff(session, customer.id),
        care.has_order_in_progress(session, customer.id, now - rules.after),
        care.has_pending_winback(session, customer.id),
        care.last_order_currency(session, customer.id) if rules.incentive else None,
    )


def _consider(session: Session, customer: Customer, now: datetime, rules: Winback) -> list[int]:
    assert customer.winback_at is not None
    facts = _lapsed(session, customer, now, rules)
    outcome = winback.consider(customer.id, customer.winback_at, facts, now, rules)
    for name, value in outcome.changes.items():
        setattr(customer, name, value)
    if outcome.message is None:
        return []
    plan, extras = outcome.message
    row = planning.notification_row(plan, None, None, customer, now, extras)
    row["event_id"] = winback.JOB
    return insert_planned(session, [plan], [row], now)


def _hand_over(runtime: Parts, due_now: list[int]) -> None:
    """Due messages to delivery, IDS_PER_MESSAGE ids per queue message."""
    ports.send_in_batches(runtime.dispatcher, ports.DELIVER_BATCH, due_now, IDS_PER_MESSAGE)
