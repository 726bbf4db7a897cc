"""The scheduler's scans: late orders found and told first, and the day's win-back.

Each reads only the rows whose time has come (an indexed watch time), claims them with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, asks `decide` what to do with each, and writes it; the
messages due now are handed to delivery after the commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from notifier import ports
from notifier.decide import delays, planning, watch, winback
from notifier.decide.facts import Reader
from notifier.decide.policy import Winback
from notifier.decide.routing import MARKETING_OPT_OUT
from notifier.pipeline.parts import Parts
from notifier.pipeline.rows import rows_of
from notifier.store import care, orders
from notifier.store.db import session_scope
from notifier.store.handoffs import open_for_vip
from notifier.store.models import Customer, Order
from notifier.store.notifications import insert_planned

BATCH = 500


def scan_late_orders(runtime: Parts, now: datetime) -> int:
    """Look at the orders whose watch time has come; tell the late ones. How many notices."""
    due_now: list[int] = []
    while True:
        with session_scope(runtime.db_url) as session:
            due = orders.orders_due_for_check(session, now, BATCH)
            for order in due:
                due_now += _check(session, runtime, order, now)
        if len(due) < BATCH:
            break
    _hand_over(runtime, due_now)
    return len(due_now)


def _check(session: Session, runtime: Parts, order: Order, now: datetime) -> list[int]:
    policy = runtime.policy
    signal = delays.on_scan(watch.facts_of(order), now, policy.late_orders)
    order.next_check_at = watch.next_check(order, policy, now, just_checked=True)
    if signal is None:
        return []
    customer = orders.get_customer(session, order.customer_id)
    notice = watch.delay_notice(order, customer, signal, now, policy)
    order.notified_eta = notice.notified_eta or order.notified_eta
    open_for_vip(session, customer, notice.vip_note, now, policy)
    settings = runtime.settings
    reader = Reader(settings.default_locale, settings.default_timezone)
    if customer is not None:
        reader = reader.of(customer.locale, customer.timezone)
    rows = rows_of(
        session, notice.messages, None, order, customer, now, policy.compensation, reader
    )
    return insert_planned(session, [m.plan for m in notice.messages], rows, now)


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
    for notification_id in due_now:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
