"""Apply a stored event: customer and order state, planned messages, cancellations.

All of it happens in one transaction with the event row locked, and the messages due now are
handed to delivery only after the commit. Processing an event twice does nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier import ports
from notifier.contract.events import EventIn, parse_stored_event
from notifier.decide import customers, playbook, winback
from notifier.decide.facts import Reader
from notifier.decide.followups import Cancel
from notifier.decide.plan import decide_event
from notifier.decide.planning import Message
from notifier.decide.policy import Policy
from notifier.logs import log_context
from notifier.pipeline import deliver
from notifier.pipeline.claimed_later import CLAIMED_LATER
from notifier.pipeline.parts import Parts
from notifier.pipeline.rows import rows_of
from notifier.store import carts, events, notifications, orders, shop_webhooks
from notifier.store.db import session_scope
from notifier.store.handoffs import open_for_vip
from notifier.store.models import Customer, Notification, Order
from notifier.store.notifications import insert_planned
from notifier.store.sales import record_sales
from notifier.vocabulary import EventStatus, NotificationStatus

log = logging.getLogger(__name__)


@dataclass
class Planned:
    """What processing leaves to send now: queued messages (delivery claims each) and, for a
    worker that sends them itself, messages inserted already claimed."""

    due_now: list[int] = field(default_factory=list)
    claimed: list[deliver.Claimed] = field(default_factory=list)


def process_event(runtime: Parts, event_row_id: int) -> list[int]:
    """Process a stored event once and hand its messages due now to delivery; their ids.

    Events of one order are applied in the order they arrived, whatever order the workers
    pick them up in: the order row is locked, and every earlier event of the order that is
    still waiting is applied first, in the same transaction.
    """
    due_now = _process(runtime, event_row_id, claims=None).due_now
    for notification_id in due_now:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
    return due_now


def process_event_here(runtime: Parts, event_row_id: int) -> Planned:
    """Process a stored event for a caller that sends its messages itself, right after: the
    messages of a new order that nothing else has to check are inserted already claimed
    (`deliver.Claimed`), so sending them costs no claim. When the event was applied already
    (a worker died after the commit), its messages still queued are due now again."""
    planned = Planned()
    found = _process(runtime, event_row_id, claims=planned.claimed)
    if found.applied:
        planned.due_now = found.due_now
    else:
        planned.due_now = _still_queued(runtime, event_row_id)
    return planned


@dataclass
class _Applied:
    due_now: list[int]
    applied: bool


def _process(runtime: Parts, event_row_id: int, claims: list[deliver.Claimed] | None) -> _Applied:
    with session_scope(runtime.db_url) as session:
        order_id = events.event_order_id(session, event_row_id)
        held = None if order_id is None else orders.hold_order(session, order_id)
        if order_id is not None:
            rows = events.lock_waiting_events_of_order(session, order_id, event_row_id)
        else:
            rows = events.lock_waiting_event(session, event_row_id)
        now = runtime.clock()  # after the locks: plans of one order follow each other in time
        defaults = Reader(runtime.settings.default_locale, runtime.settings.default_timezone)
        applied = _apply_rows(session, rows, held, now, runtime.policy, defaults, claims)
        return _Applied(applied, bool(rows))


def _still_queued(runtime: Parts, event_row_id: int) -> list[int]:
    with session_scope(runtime.db_url) as session:
        return events.queued_of_event(session, event_row_id, runtime.clock())


def _apply_rows(
    session: Session,
    rows: list[Any],
    held: orders.HeldOrder | None,
    now: datetime,
    policy: Policy,
    defaults: Reader,
    claims: list[deliver.Claimed] | None,
) -> list[int]:
    """Apply the locked events in order, then write the order and the events' outcomes."""
    due_now: list[int] = []
    outcomes: dict[EventStatus, list[int]] = {}
    order = held.order if held else None
    parsed = [parse_stored_event(row.payload) for row in rows]
    for row, event in zip(rows, parsed, strict=True):
        planned, status = apply_parsed(session, event, order, now, policy, defaults, claims)
        due_now += planned
        outcomes.setdefault(status, []).append(row.id)
    record_sales(session, parsed)
    if held is not None:
        orders.save_order(session, held)
    for status, row_ids in outcomes.items():
        events.mark_events(session, row_ids, status, now)
    return due_now


def apply_parsed(
    session: Session,
    event: EventIn,
    order: Order | None,
    now: datetime,
    policy: Policy,
    defaults: Reader,
    claims: list[deliver.Claimed] | None,
) -> tuple[list[int], EventStatus]:
    """Apply one parsed event; the messages due now and what became of it."""
    with log_context(event_id=event.event_id, order_id=event.order_id):
        due_now, stale = apply_event(session, event, now, policy, defaults, order, claims)
    return due_now, EventStatus.STALE if stale else EventStatus.PROCESSED


def apply_event(
    session: Session,
    event: EventIn,
    now: datetime,
    policy: Policy,
    defaults: Reader,
    locked: Order | None = None,
    claims: list[deliver.Claimed] | None = None,
) -> tuple[list[int], bool]:
    """Ask `decide` for the event's Plan and apply it; (ids due now, whether it was stale).

    `defaults` are the settings' locale and time zone, for a customer who gave none.
    `locked` is the event's order when the caller has locked it already. With `claims`, the
    first messages due now of a new order go there, inserted already claimed."""
    customer = _merge_customer(session, event, policy)
    if event.order is None:
        if _stale_for_its_cart(session, event):
            return [], True
        reader = _reader(defaults, customer)
        plan = decide_event(None, None, event, now, policy, reader=reader)
        _cancel(session, plan.cancels, event, now)
        return _insert(session, plan.messages, event, None, customer, now, policy, reader), False
    order = locked if locked is not None else orders.lock_order(session, event.order.id)
    if order.customer_id is None and customer is not None:
        order.customer_id = customer.id
    customer = orders.get_customer(session, order.customer_id)
    first_event_of_order = not order.details  # every event writes at least the order's id
    reader = _reader(defaults, customer)
    told = event.type == "order.canceled" and orders.told_of_delay(session, order.id)
    plan = decide_event(order, customer, event, now, policy, reader=reader, delay_told=told)
    assert plan.order is not None
    orders.write_state(order, plan.order)
    if plan.stale:
        log.info("stale event %s for order %s: %s", event.event_id, order.id, plan.reason)
        return [], True
    if event.order.cart_id:  # the cart's older events, arriving late, are stale from now on
        carts.take_cart_event(session, event.order.cart_id, event.occurred_at)
    _cancel(session, plan.cancels, event, now)
    for name, value in plan.customer.items():
        setattr(customer, name, value)
    open_for_vip(session, customer, plan.vip_note, now, policy)
    # no earlier message of a new order can be waiting: its first ones may be claimed at once
    claims = claims if first_event_of_order else None
    return _insert(
        session, plan.messages, event, order, customer, now, policy, reader, claims
    ), False


def _reader(defaults: Reader, customer: Customer | None) -> Reader:
    if customer is None:
        return defaults
    return defaults.of(customer.locale, customer.timezone)


def _stale_for_its_cart(session: Session, event: EventIn) -> bool:
    """Lock the event's cart; True when a newer event about it was taken already."""
    if event.cart is None or carts.take_cart_event(session, event.cart.id, event.occurred_at):
        return False
    log.info("stale event %s for cart %s: a newer one was taken", event.event_id, event.cart.id)
    return True


def _cancel(session: Session, cancels: list[Cancel], event: EventIn, now: datetime) -> None:
    for cancel in cancels:
        if notifications.cancel_pending(session, cancel, event.event_id, now):
            shop_webhooks.tell_canceled(session, cancel, event.event_id, now)


def _insert(
    session: Session,
    messages: list[Message],
    event: EventIn,
    order: Order | None,
    customer: Customer | None,
    now: datetime,
    policy: Policy,
    reader: Reader,
    claims: list[deliver.Claimed] | None = None,
) -> list[int]:
    rows = rows_of(session, messages, event, order, customer, now, policy.compensation, reader)
    pairs = list(zip([m.plan for m in messages], rows, strict=True))
    if claims is not None:
        pairs = _claim_leading(session, pairs, customer, now, claims)
    return insert_planned(session, [plan for plan, _ in pairs], [row for _, row in pairs], now)


def _claim_leading(
    session: Session,
    pairs: list[tuple[playbook.Plan, dict[str, Any]]],
    customer: Customer | None,
    now: datetime,
    claims: list[deliver.Claimed],
) -> list[tuple[playbook.Plan, dict[str, Any]]]:
    """Insert the leading messages due now that need no check but the claim, claimed
    (`sending`, first attempt), into `claims`; the rest, to insert as usual. Only a leading
    run: a message planned after one that delivery must check is not sent before it."""
    rest: list[tuple[playbook.Plan, dict[str, Any]]] = []
    run = True
    for plan, row in pairs:
        due = row["status"] is NotificationStatus.QUEUED
        run = run and (not due or deliver.claimable_when_planned(plan.kind, plan.only_channel))
        if not (due and run):
            rest.append((plan, row))
            continue
        row = row | {"status": NotificationStatus.SENDING, "attempts": 1, "claim_token": 1}
        later = session.info.get(CLAIMED_LATER)
        if later is not None:  # a batch: inserted with the batch's others
            later.add(row, customer)
            continue
        for new_id in notifications.insert_notifications(session, [row]):
            claims.append(deliver.Claimed(Notification(id=new_id, **row), customer))
    return rest


def _merge_customer(session: Session, event: EventIn, policy: Policy) -> Customer | None:
    """The event's customer, created or locked, with the facts it brings that are not older
    than the ones held (field by field, `decide.customers`)."""
    if event.customer is None:
        return None
    facts = _customer_facts(event)
    customer = orders.held_customer(session, event.customer.id)  # a batch locked them already
    if customer is None:
        # a new customer is created with all of it in the same statement: nothing to update
        first = first_customer_columns(event, policy, facts)
        customer = orders.lock_customer(session, event.customer.id, first)
    taken, times = customers.newer_facts(customer.facts_at or {}, facts, event.occurred_at)
    fields_taken, consent_taken = customers.split_consent(taken)
    for name, value in fields_taken.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
    held = customer.consent or {}
    if any(held.get(key) != value for key, value in consent_taken.items()):
        customer.consent = {**held, **consent_taken}
    if times != (customer.facts_at or {}):
        customer.facts_at = times
    return customer


def _customer_facts(event: EventIn) -> dict[str, Any]:
    assert event.customer is not None
    incoming = event.customer
    fields = {name: getattr(incoming, name) for name in CUSTOMER_FIELDS}
    given = incoming.consent.model_dump(exclude_none=True) if incoming.consent else None
    return customers.incoming_facts(fields, given)


def first_customer_columns(
    event: EventIn, policy: Policy, facts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The columns a customer first seen in this event is created with: all it says of them."""
    facts = _customer_facts(event) if facts is None else facts
    known, consent = customers.split_consent(facts)
    at = event.occurred_at.isoformat()
    first = known | {"consent": consent, "facts_at": dict.fromkeys(facts, at)}
    return first | winback.first_facts(event, policy.winback)


CUSTOMER_FIELDS = ("name", "email", "phone", "locale", "timezone", "channels", "orders_count")
