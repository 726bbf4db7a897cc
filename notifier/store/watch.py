"""The late-order scan's reads and writes, a batch of orders at a time: the due orders claimed
with their customers, their watch times and told ETAs written back in one statement, and the
offers of many late orders looked up and issued together (what `orders.offer_for` does for one).

Rows are read as plain values (`OrderView`, `CustomerView`, `Offer`), not ORM objects: the
scan reads thousands and writes what changed itself, so the session has nothing to track.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from notifier.decide import compensation
from notifier.decide.facts import OrderView
from notifier.decide.policy import Compensation as CompensationPolicy
from notifier.store import many
from notifier.store.models import Compensation, Customer, Order
from notifier.vocabulary import utcnow

_ORDERS = cast(Table, Order.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_COMPENSATIONS = cast(Table, Compensation.__table__)
_ORDER_COLUMNS = [_ORDERS.c[f.name] for f in fields(OrderView)]


def claim_due_orders(session: Session, now: datetime, limit: int) -> list[OrderView]:
    """Orders whose watch time has come, locked (others' locked rows skipped), as values:
    the scan writes what it changes with `save_checks`."""
    query = (
        select(*_ORDER_COLUMNS)
        .where(_ORDERS.c.next_check_at <= now)
        .order_by(_ORDERS.c.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [OrderView(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class CustomerView:
    """What the scan reads of a customer: who they are to a template, whether a VIP, how
    they read."""

    id: str
    name: str | None
    orders_count: int | None
    last_order_at: datetime | None
    last_winback_at: datetime | None
    locale: str | None
    timezone: str | None


_CUSTOMER_COLUMNS = [_CUSTOMERS.c[f.name] for f in fields(CustomerView)]


def customers_by_id(session: Session, ids: Collection[str]) -> dict[str, CustomerView]:
    """The customers with these ids, in one statement (unknown ids are left out)."""
    if not ids:
        return {}
    query = select(*_CUSTOMER_COLUMNS).where(_CUSTOMERS.c.id.in_(sorted(ids)))
    return {row.id: CustomerView(*row) for row in session.execute(query)}


@dataclass(frozen=True)
class Check:
    """What a look at an order leaves in its row: when to look next, the ETA told."""

    order_id: str
    next_check_at: datetime | None
    notified_eta: datetime | None


def save_checks(session: Session, checks: Sequence[Check]) -> None:
    """Write every order's watch time and told ETA in one statement: `UPDATE … FROM
    json_to_recordset(…)` on PostgreSQL; SQLite (embedded, small batches) runs one compiled
    UPDATE over them all."""
    if not checks:
        return
    stamp = utcnow()  # as the ORM's `onupdate` stamps a row it writes
    if session.get_bind().dialect.name == "postgresql":
        values = [{"id": c.order_id, "next_check_at": c.next_check_at,
                   "notified_eta": c.notified_eta} for c in checks]  # fmt: skip
        columns = {"many_rows": many.as_json(values), "stamp": stamp}
        session.execute(_SAVE_MANY, columns)
        return
    session.execute(
        _SAVE_ONE,
        [{"check_id": c.order_id, "check_next": c.next_check_at, "check_eta": c.notified_eta,
          "check_stamp": stamp} for c in checks],
    )  # fmt: skip


_CHECKS = many.recordset(_ORDERS, ("id", "next_check_at", "notified_eta"))
_SAVE_MANY = (
    update(_ORDERS)
    .where(_ORDERS.c.id == _CHECKS.c.id)
    .values(
        next_check_at=_CHECKS.c.next_check_at,
        notified_eta=_CHECKS.c.notified_eta,
        updated_at=bindparam("stamp", type_=_ORDERS.c.updated_at.type),
    )
)
_SAVE_ONE = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("check_id"))
    .values(
        next_check_at=bindparam("check_next"),
        notified_eta=bindparam("check_eta"),
        updated_at=bindparam("check_stamp"),
    )
)


@dataclass(frozen=True)
class Wanted:
    """An offer a notice carries: the order, its tier, the language of a new coupon's code."""

    order: OrderView
    tier: int
    locale: str


@dataclass(frozen=True)
class Offer:
    """An offer as stored (`compensation.Made`)."""

    id: int
    order_id: str
    tier: int
    code: str
    percent_off: int | None
    free_shipping: bool
    cancel_offer: bool
    created_at: datetime


_OFFER_COLUMNS = tuple(f.name for f in fields(Offer))
Offers = dict[tuple[str, int], dict[str, Any] | None]


def offers_for(
    session: Session, wanted: Sequence[Wanted], policy: CompensationPolicy, now: datetime
) -> Offers:
    """`orders.offer_for` over many orders, keyed by (order id, tier): the offer already made
    if as high, else a new one issued now (a concurrent one for the same tier wins quietly);
    None for tier 0. One statement reads every offer made to these orders, one inserts the new
    ones (and one more reads again only when a concurrent scan won a tier)."""
    asked: dict[tuple[str, int], Wanted] = {}
    for want in wanted:
        asked.setdefault((want.order.id, want.tier), want)
    offers: Offers = {key: None for key in asked if key[1] <= 0}
    asked = {key: want for key, want in asked.items() if key[1] > 0}
    if not asked:
        return offers
    order_ids = {order_id for order_id, _ in asked}
    made = _made(session, order_ids)
    before = {offer.id for offer in made}
    best: dict[str, int] = {}
    for offer in made:
        best[offer.order_id] = max(best.get(offer.order_id, 0), offer.tier)
    new = []
    for (order_id, tier), want in sorted(asked.items()):
        if compensation.needs_new(best.get(order_id), tier):
            new.append(compensation.terms_of(order_id, tier, policy, want.locale, now))
            best[order_id] = tier
    if new:
        issued = many.insert_ignoring_conflicts(session, _COMPENSATIONS, new, _OFFER_COLUMNS)
        made += [Offer(*row) for row in issued]
        if len(issued) < len(new):  # a concurrent scan issued some first: read what won
            made = _made(session, order_ids)
    of_order: dict[str, list[Offer]] = {}
    for offer in made:
        of_order.setdefault(offer.order_id, []).append(offer)
    for (order_id, tier), want in asked.items():
        # what `offer_for` would show at this point: the best made before, or issued up to here
        shown = [o for o in of_order[order_id] if o.id in before or o.tier <= tier]
        top = max(shown, key=lambda offer: offer.tier)
        details = want.order.details or {}
        offers[(order_id, tier)] = compensation.offer_view(top, order_id, details, policy)
    return offers


def _made(session: Session, order_ids: Collection[str]) -> list[Offer]:
    columns = [_COMPENSATIONS.c[name] for name in _OFFER_COLUMNS]
    query = select(*columns).where(_COMPENSATIONS.c.order_id.in_(sorted(order_ids)))
    return [Offer(*row) for row in session.execute(query)]
