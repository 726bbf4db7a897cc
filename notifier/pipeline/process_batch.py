"""Apply a batch of stored events (an ingest batch) in one transaction: their orders created or
locked in one statement, their waiting events locked in one, their customers in one, each event
decided and applied in arrival order, the orders written and the events marked together.

What one event's processing promises holds for each event of the batch: the events of one order
are applied in the order they arrived (every earlier waiting event of a batch's order is applied
first), an event is applied once, and messages due now are handed to delivery after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier import ports
from notifier.contract.events import EventIn, parse_stored_event
from notifier.decide.facts import Reader
from notifier.pipeline import deliver
from notifier.pipeline.claimed_later import ClaimedLater
from notifier.pipeline.parts import Parts
from notifier.pipeline.process import Planned, apply_parsed, first_customer_columns
from notifier.store import events, held
from notifier.store.db import session_scope
from notifier.store.orders import HeldOrder, save_orders
from notifier.store.sales import record_sales
from notifier.vocabulary import EventStatus


def process_events(runtime: Parts, row_ids: list[int]) -> list[int]:
    """Process stored events once, together, and hand their messages due now to delivery;
    their ids."""
    due_now, _ = _process_batch(runtime, row_ids, claims=None)
    for notification_id in due_now:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
    return due_now


def process_events_here(runtime: Parts, row_ids: list[int]) -> Planned:
    """`process_event_here` for a batch: the caller sends what is returned, right after. An
    event applied already (a worker died after the commit) has its still-queued messages due
    now again."""
    planned = Planned()
    planned.due_now, skipped = _process_batch(runtime, row_ids, planned.claimed)
    if skipped:
        with session_scope(runtime.db_url) as session:
            for row_id in skipped:
                planned.due_now += events.queued_of_event(session, row_id, runtime.clock())
    return planned


def _process_batch(
    runtime: Parts, row_ids: list[int], claims: list[deliver.Claimed] | None
) -> tuple[list[int], list[int]]:
    """(ids of the messages due now, the batch's events that were not waiting any more)."""
    if not row_ids:
        return [], []
    with session_scope(runtime.db_url) as session:
        order_of = held.orders_of_events(session, row_ids)
        order_ids = sorted({order_id for order_id in order_of.values() if order_id})
        orders = held.hold_orders(session, order_ids)
        orderless = [row_id for row_id, order_id in order_of.items() if order_id is None]
        rows = held.lock_waiting_events(session, order_ids, orderless, max(row_ids))
        parsed = [(row.id, parse_stored_event(row.payload)) for row in rows]
        held.hold_customers(session, _first_columns(parsed, runtime))
        held.hold_carts(session, _first_cart_times(parsed))
        later = ClaimedLater(session, claims) if claims is not None else None
        due_now = _apply_all(session, runtime, parsed, orders, claims)
        record_sales(session, [event for _, event in parsed])
        if later is not None:
            later.close()
        save_orders(session, orders.values())
    applied = {row_id for row_id, _ in parsed}
    return due_now, [row_id for row_id in row_ids if row_id not in applied]


def _first_columns(parsed: list[tuple[int, EventIn]], runtime: Parts) -> dict[str, Any]:
    """Each customer of the batch with what its first event there says of them."""
    first: dict[str, Any] = {}
    for _, event in parsed:
        if event.customer is not None and event.customer.id not in first:
            first[event.customer.id] = first_customer_columns(event, runtime.policy)
    return first


def _first_cart_times(parsed: list[tuple[int, EventIn]]) -> dict[str, datetime]:
    """Each cart of the batch (a cart event's, or the cart an order came from) with the time
    of its first event here."""
    first: dict[str, datetime] = {}
    for _, event in parsed:
        cart_id = event.cart.id if event.cart else event.order.cart_id if event.order else None
        if cart_id and cart_id not in first:
            first[cart_id] = event.occurred_at
    return first


def _apply_all(
    session: Session,
    runtime: Parts,
    parsed: list[tuple[int, EventIn]],
    orders: dict[str, HeldOrder],
    claims: list[deliver.Claimed] | None,
) -> list[int]:
    """Apply the locked events in arrival order and mark what became of each."""
    now = runtime.clock()  # after the locks: plans of one order follow each other in time
    settings = runtime.settings
    defaults = Reader(settings.default_locale, settings.default_timezone)
    due_now: list[int] = []
    outcomes: dict[EventStatus, list[int]] = {}
    for row_id, event in parsed:
        one = orders.get(event.order_id) if event.order_id else None
        order = one.order if one else None
        planned, status = apply_parsed(session, event, order, now, runtime.policy, defaults, claims)
        due_now += planned
        outcomes.setdefault(status, []).append(row_id)
    for status, ids in outcomes.items():
        events.mark_events(session, ids, status, now)
    return due_now
