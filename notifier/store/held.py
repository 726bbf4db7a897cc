"""The rows a batch of events holds for one transaction: its events, orders and customers, each
read or created-and-locked in one statement for the whole batch, and written back the same way.

Locks are taken in one order everywhere (orders by id, then events, then customers by id), so two
workers with overlapping batches wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from notifier.store.carts import HELD_CARTS
from notifier.store.fresh import mark_fresh
from notifier.store.many import (
    as_loaded,
    fields_of,
    insert_rows,
    one_of,
    rows_parameter,
    was_inserted,
)
from notifier.store.models import Cart, Customer, Event, Order
from notifier.store.orders import HELD_CUSTOMERS, HeldOrder
from notifier.vocabulary import EventStatus

_EVENTS = cast(Table, Event.__table__)
_ORDERS = cast(Table, Order.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def orders_of_events(session: Session, row_ids: Sequence[int]) -> dict[int, str | None]:
    """Each stored event's order id (None for cart events), by row id."""
    rows = session.execute(_orders_of_events(_dialect(session)), {"row_ids": list(row_ids)})
    return {row.id: row.order_id for row in rows}


@cache
def _orders_of_events(dialect: str) -> Any:
    return select(_EVENTS.c.id, _EVENTS.c.order_id).where(one_of(_EVENTS.c.id, "row_ids", dialect))


def hold_orders(session: Session, order_ids: Iterable[str]) -> dict[str, HeldOrder]:
    """The orders, created if new, locked, as detached objects, by id: one statement."""
    ordered = sorted(set(order_ids))
    if not ordered:
        return {}
    dialect = _dialect(session)
    statement = insert_rows(_ORDERS, ("id",), dialect, lock_existing=True)
    rows = session.execute(statement, rows_parameter([{"id": id_} for id_ in ordered], dialect))
    held = {}
    for row in rows:
        loaded = fields_of(row)
        held[loaded["id"]] = HeldOrder(as_loaded(Order, loaded), loaded)
    return held


def lock_waiting_events(
    session: Session, order_ids: Sequence[str], orderless: Sequence[int], up_to: int
) -> list[Any]:
    """The waiting events of these orders up to row `up_to`, and the waiting orderless events
    named, in arrival order (id, order_id, payload), locked."""
    dialect = _dialect(session)
    rows: list[Any] = []
    if order_ids:
        parameters = {"order_ids": sorted(order_ids), "up_to": up_to}
        rows += session.execute(_waiting_of_orders(dialect), parameters)
    if orderless:
        rows += session.execute(_waiting_by_id(dialect), {"row_ids": list(orderless)})
    return sorted(rows, key=lambda row: row.id)


_WAITING = select(_EVENTS.c.id, _EVENTS.c.order_id, _EVENTS.c.payload).where(
    _EVENTS.c.status == EventStatus.RECEIVED
)


@cache
def _waiting_of_orders(dialect: str) -> Any:
    return (
        _WAITING.where(
            one_of(_EVENTS.c.order_id, "order_ids", dialect), _EVENTS.c.id <= bindparam("up_to")
        )
        .order_by(_EVENTS.c.id)
        .with_for_update()
    )


@cache
def _waiting_by_id(dialect: str) -> Any:
    return (
        _WAITING.where(one_of(_EVENTS.c.id, "row_ids", dialect))
        .order_by(_EVENTS.c.id)
        .with_for_update()
    )


def hold_customers(session: Session, first: dict[str, dict[str, Any]]) -> None:
    """Create-or-lock these customers (each created with its `first` columns if new), one
    statement per set of columns, as objects of the session; `orders.held_customer` then
    hands them out for the rest of the transaction without a statement of its own."""
    held: dict[str, Customer] = session.info.setdefault(HELD_CUSTOMERS, {})
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for customer_id in sorted(set(first) - set(held)):
        if identity_key(Customer, customer_id) in session.identity_map:
            continue  # loaded already: `orders.lock_customer` locks it the usual way
        new = first[customer_id]
        by_columns.setdefault(tuple(sorted(new)), []).append({"id": customer_id, **new})
    for columns, rows in by_columns.items():
        held.update(_hold(session, Customer, ("id", *columns), rows, "customer_id"))


def hold_carts(session: Session, first: dict[str, datetime]) -> None:
    """Create-or-lock these carts (a new one with the time of its first event here), as objects
    of the session; `carts.take_cart_event` then takes them without a statement of its own."""
    held: dict[str, Cart] = session.info.setdefault(HELD_CARTS, {})
    ids = [id_ for id_ in sorted(set(first) - set(held))
           if identity_key(Cart, id_) not in session.identity_map]  # fmt: skip
    rows = [{"id": cart_id, "last_event_at": first[cart_id]} for cart_id in ids]
    if rows:
        held.update(_hold(session, Cart, ("id", "last_event_at"), rows, "cart_id"))


def _hold(
    session: Session,
    model: type[Customer] | type[Cart],
    columns: tuple[str, ...],
    rows: list[dict[str, Any]],
    scope: str,
) -> dict[str, Any]:
    """Create-or-lock the rows, add them to the session as if loaded; those created here are
    marked fresh (no message points at them yet)."""
    dialect = _dialect(session)
    table = cast(Table, model.__table__)
    statement = insert_rows(table, columns, dialect, lock_existing=True, tell_inserted=True)
    found: dict[str, Any] = {}
    created = []
    for row in session.execute(statement, rows_parameter(rows, dialect)):
        one = as_loaded(model, fields_of(row))
        make_transient_to_detached(one)  # as if loaded: what changes is flushed
        session.add(one)
        found[one.id] = one
        if was_inserted(row):
            created.append(one.id)
    mark_fresh(session, scope, created)
    return found
