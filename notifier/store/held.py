"""The rows a batch of events holds for one transaction: its events, orders and customers, each
read or created-and-locked in one statement for the whole batch, and written back the same way.

Locks are taken in one order everywhere (orders by id, then events, then customers by id), so two
workers with overlapping batches wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from notifier.store.models import Customer, Event, Order
from notifier.store.orders import HELD_CUSTOMERS, HeldOrder, order_update
from notifier.store.upserts import upsert
from notifier.vocabulary import EventStatus

_EVENTS = cast(Table, Event.__table__)


def orders_of_events(session: Session, row_ids: Sequence[int]) -> dict[int, str | None]:
    """Each stored event's order id (None for cart events), by row id."""
    rows = session.execute(_ORDERS_OF_EVENTS, {"row_ids": list(row_ids)})
    return {row.id: row.order_id for row in rows}


_ORDERS_OF_EVENTS = select(_EVENTS.c.id, _EVENTS.c.order_id).where(
    _EVENTS.c.id.in_(bindparam("row_ids", expanding=True))
)


def hold_orders(session: Session, order_ids: Iterable[str]) -> dict[str, HeldOrder]:
    """The orders, created if new, locked, as detached objects, by id: one statement."""
    ordered = sorted(set(order_ids))
    if not ordered:
        return {}
    statement = upsert(session.get_bind().dialect.name, Order, (), as_object=False)
    rows = session.execute(statement, [{"row_id": order_id} for order_id in ordered])
    held = {}
    for row in rows:
        loaded = dict(row._mapping)
        held[loaded["id"]] = HeldOrder(Order(**loaded), loaded)
    return held


def save_orders(session: Session, held: Iterable[HeldOrder]) -> None:
    """Write what changed in each held order: one statement per set of changed columns."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for one in held:
        order, loaded = one.order, one.loaded
        changed = {name: getattr(order, name) for name in loaded}
        changed = {name: value for name, value in changed.items() if value != loaded[name]}
        if not changed:
            continue
        parameters = {f"new_{name}": value for name, value in changed.items()}
        by_columns.setdefault(tuple(sorted(changed)), []).append({"row_id": order.id, **parameters})
        one.loaded = {**loaded, **changed}
    for names, parameter_sets in by_columns.items():
        session.execute(order_update(names), parameter_sets)


def lock_waiting_events(
    session: Session, order_ids: Sequence[str], orderless: Sequence[int], up_to: int
) -> list[Any]:
    """The waiting events of these orders up to row `up_to`, and the waiting orderless events
    named, in arrival order (id, order_id, payload), locked."""
    rows: list[Any] = []
    if order_ids:
        parameters = {"order_ids": sorted(order_ids), "up_to": up_to}
        rows += session.execute(_WAITING_OF_ORDERS, parameters)
    if orderless:
        rows += session.execute(_WAITING_BY_ID, {"row_ids": list(orderless)})
    return sorted(rows, key=lambda row: row.id)


_WAITING = select(_EVENTS.c.id, _EVENTS.c.order_id, _EVENTS.c.payload).where(
    _EVENTS.c.status == EventStatus.RECEIVED
)

_WAITING_OF_ORDERS = (
    _WAITING.where(
        _EVENTS.c.order_id.in_(bindparam("order_ids", expanding=True)),
        _EVENTS.c.id <= bindparam("up_to"),
    )
    .order_by(_EVENTS.c.id)
    .with_for_update()
)

_WAITING_BY_ID = (
    _WAITING.where(_EVENTS.c.id.in_(bindparam("row_ids", expanding=True)))
    .order_by(_EVENTS.c.id)
    .with_for_update()
)


def hold_customers(session: Session, first: dict[str, dict[str, Any]]) -> None:
    """Create-or-lock these customers (each created with its `first` columns if new), one
    statement per set of columns, as objects of the session; `orders.lock_customer` then
    hands them out for the rest of the transaction without a statement of its own."""
    held: dict[str, Customer] = session.info.setdefault(HELD_CUSTOMERS, {})
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for customer_id in sorted(set(first) - set(held)):
        if identity_key(Customer, customer_id) in session.identity_map:
            continue  # loaded already: `lock_customer` locks it the usual way
        new = first[customer_id]
        by_columns.setdefault(tuple(sorted(new)), []).append({"row_id": customer_id, **new})
    dialect = session.get_bind().dialect.name
    for columns, parameter_sets in by_columns.items():
        for row in session.execute(upsert(dialect, Customer, columns, False), parameter_sets):
            customer = Customer(**row._mapping)
            make_transient_to_detached(customer)  # as if loaded: what changes is flushed
            session.add(customer)
            held[customer.id] = customer
