"""Orders and customers: created on first sight and locked while an event is applied; the
orders the late-order scan looks at; and the offers a late order earns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from notifier.decide import compensation
from notifier.decide.facts import OrderView
from notifier.decide.policy import Compensation as CompensationPolicy
from notifier.store.many import POSTGRESQL, rows_parameter, update_rows
from notifier.store.models import Compensation, Customer, Notification, Order
from notifier.store.upserts import insert_ignoring_conflicts, upsert, upsert_locked
from notifier.vocabulary import Kind, NotificationStatus

_ORDERS = cast(Table, Order.__table__)
HELD_CUSTOMERS = "held_customers"  # session.info key: customers locked for the transaction


def lock_order(session: Session, order_id: str) -> Order:
    """The order row, created if new and locked so two events of one order are applied one
    after the other."""
    order: Order = upsert_locked(session, Order, order_id)
    return order


@dataclass
class HeldOrder:
    """An order row locked for this transaction but kept out of the ORM session: `save_order`
    writes what changed in one UPDATE (no unit of work, no autoflush before every query)."""

    order: Order
    loaded: dict[str, Any]


def hold_order(session: Session, order_id: str) -> HeldOrder:
    """The order row, created if new, locked, as a detached object."""
    statement = upsert(session.get_bind().dialect.name, Order, (), as_object=False)
    loaded = dict(session.execute(statement, {"row_id": order_id}).one()._mapping)
    return HeldOrder(Order(**loaded), loaded)


def save_order(session: Session, held: HeldOrder) -> None:
    """Write the held order's changed columns, if any."""
    save_orders(session, [held])


def save_orders(session: Session, held: Iterable[HeldOrder]) -> None:
    """Write what changed in each held order: one statement per set of changed columns (on
    PostgreSQL FROM the rows as one JSON parameter, elsewhere a parameter set per order)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for one in held:
        order, loaded = one.order, one.loaded
        changed = {name: getattr(order, name) for name in loaded}
        changed = {name: value for name, value in changed.items() if value != loaded[name]}
        if changed:
            by_columns.setdefault(tuple(sorted(changed)), []).append({"id": order.id, **changed})
            one.loaded = {**loaded, **changed}
    dialect = session.get_bind().dialect.name
    for names, rows in by_columns.items():
        if dialect == POSTGRESQL:
            session.execute(update_rows(_ORDERS, names), rows_parameter(rows, dialect))
        else:
            session.execute(_order_update(names), [_parameter_set(row) for row in rows])


def _parameter_set(row: dict[str, Any]) -> dict[str, Any]:
    return {"row_id" if name == "id" else f"new_{name}": value for name, value in row.items()}


@cache
def _order_update(names: tuple[str, ...]) -> Any:
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in names}
    return update(_ORDERS).where(_ORDERS.c.id == bindparam("row_id")).values(values)


def lock_customer(
    session: Session, customer_id: str, new: dict[str, Any] | None = None
) -> Customer:
    """The customer row, locked for update; created with `new`'s columns if it did not exist
    (an existing customer keeps theirs: the caller merges what changed)."""
    customer: Customer = upsert_locked(session, Customer, customer_id, new or {})
    return customer


def held_customer(session: Session, customer_id: str) -> Customer | None:
    """The customer if this transaction holds them locked already (`held.hold_customers`)."""
    held: dict[str, Customer] = session.info.get(HELD_CUSTOMERS, {})
    return held.get(customer_id)


def get_customer(session: Session, customer_id: str | None) -> Customer | None:
    """A customer by id, or None."""
    if customer_id is None:
        return None
    return session.get(Customer, customer_id)


def opt_out(session: Session, customer_id: str, channels: Sequence[str]) -> None:
    """Record that the customer stopped these channels (STOP, or the provider's 21610)."""
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is not None:
        customer.opted_out = sorted(set(customer.opted_out or []) | set(channels))


def customers_by_phone(session: Session, phone: str) -> list[Customer]:
    """Every customer with this phone number, locked for update."""
    query = select(Customer).where(Customer.phone == phone).order_by(Customer.id)
    return list(session.execute(query.with_for_update()).scalars())


def orders_due_for_check(session: Session, now: datetime, limit: int) -> list[Order]:
    """Orders whose watch time has come, locked (others' locked rows skipped)."""
    query = (
        select(Order)
        .where(Order.next_check_at <= now)
        .order_by(Order.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(query).scalars())


def offer_for(
    session: Session, order: Order, tier: int, policy: CompensationPolicy, locale: str,
    now: datetime,
) -> dict[str, Any] | None:  # fmt: skip
    """The order's offer for this tier, as a message shows it: the one already made if as
    high, else a new one issued now, its code in the customer's language (a concurrent one for
    the same tier wins quietly). None for tier 0."""
    if tier <= 0:
        return None
    best = _best(session, order.id)
    if compensation.needs_new(best.tier if best else None, tier):
        values = compensation.terms_of(order.id, tier, policy, locale, now)
        session.execute(insert_ignoring_conflicts(session, Compensation).values(**values))
        best = _best(session, order.id)
    assert best is not None
    return compensation.offer_view(best, order.id, order.details or {}, policy)


TOLD = (NotificationStatus.SENDING, NotificationStatus.SENT, NotificationStatus.DELIVERED)


def told_of_delay(session: Session, order_id: str) -> bool:
    """True when a delay notice of ours went out (or is going out) for the order."""
    query = select(Notification.id).where(
        Notification.order_id == order_id,
        Notification.kind == Kind.DELAY_NOTICE,
        Notification.status.in_(TOLD),
    )
    return session.execute(query.limit(1)).first() is not None


def _best(session: Session, order_id: str) -> Compensation | None:
    return session.execute(
        select(Compensation)
        .where(Compensation.order_id == order_id)
        .order_by(Compensation.tier.desc())
        .limit(1)
    ).scalar_one_or_none()


ORDER_STATE = ("customer_id", "status", "status_at", "details", "shipment", "last_scan_at",
               "notified_eta", "next_check_at")  # fmt: skip


def write_state(order: Order, state: OrderView) -> None:
    """Give the order row the state a decision left it in (written at the transaction's end)."""
    for name in ORDER_STATE:
        if getattr(order, name) != getattr(state, name):
            setattr(order, name, getattr(state, name))
