"""The late-order scan's reads and writes, a batch of orders at a time: the due orders claimed
with their customers, their watch times and told ETAs written back in one statement, and the
offers of many late orders looked up and issued together (what `orders.offer_for` does for one).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, column, select, update, values
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifier.decide import compensation
from notifier.decide.policy import Compensation as CompensationPolicy
from notifier.store.db import UTCDateTime
from notifier.store.models import Compensation, Customer, Order
from notifier.vocabulary import utcnow

_ORDERS = cast(Table, Order.__table__)
_COMPENSATIONS = cast(Table, Compensation.__table__)


def claim_due_orders(session: Session, now: datetime, limit: int) -> list[Order]:
    """Orders whose watch time has come, locked (others' locked rows skipped), as detached
    objects: the scan writes what it changes with `save_checks`, not through the session."""
    query = (
        select(_ORDERS)
        .where(_ORDERS.c.next_check_at <= now)
        .order_by(_ORDERS.c.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Order(**row._mapping) for row in session.execute(query)]


def customers_by_id(session: Session, ids: Collection[str]) -> dict[str, Customer]:
    """The customers with these ids, in one statement (unknown ids are left out)."""
    if not ids:
        return {}
    query = select(Customer).where(Customer.id.in_(sorted(ids)))
    return {customer.id: customer for customer in session.execute(query).scalars()}


@dataclass(frozen=True)
class Check:
    """What a look at an order leaves in its row: when to look next, the ETA told."""

    order_id: str
    next_check_at: datetime | None
    notified_eta: datetime | None


def save_checks(session: Session, checks: Sequence[Check]) -> None:
    """Write every order's watch time and told ETA in one statement: `UPDATE … FROM (VALUES
    …)` on PostgreSQL; SQLite (embedded, small batches) runs one compiled UPDATE over them all
    (its VALUES cannot name columns)."""
    if not checks:
        return
    stamp = utcnow()  # as the ORM's `onupdate` stamps a row it writes
    if session.get_bind().dialect.name == "postgresql":
        data = values(
            column("id", String()),
            column("next_check_at", UTCDateTime()),
            column("notified_eta", UTCDateTime()),
            name="checks",
        ).data([(c.order_id, c.next_check_at, c.notified_eta) for c in checks])
        session.execute(
            update(_ORDERS)
            .where(_ORDERS.c.id == data.c.id)
            .values(
                next_check_at=data.c.next_check_at,
                notified_eta=data.c.notified_eta,
                updated_at=stamp,
            )
        )
        return
    session.execute(
        _SAVE_ONE,
        [{"check_id": c.order_id, "check_next": c.next_check_at, "check_eta": c.notified_eta,
          "check_stamp": stamp} for c in checks],
    )  # fmt: skip


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

    order: Order
    tier: int
    locale: str


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
        issued = _issue(session, new)
        made += issued
        if len(issued) < len(new):  # a concurrent scan issued some first: read what won
            made = _made(session, order_ids)
    of_order: dict[str, list[Compensation]] = {}
    for offer in made:
        of_order.setdefault(offer.order_id, []).append(offer)
    for (order_id, tier), want in asked.items():
        # what `offer_for` would show at this point: the best made before, or issued up to here
        shown = [o for o in of_order[order_id] if o.id in before or o.tier <= tier]
        top = max(shown, key=lambda offer: offer.tier)
        details = want.order.details or {}
        offers[(order_id, tier)] = compensation.offer_view(top, order_id, details, policy)
    return offers


def _made(session: Session, order_ids: Collection[str]) -> list[Compensation]:
    query = select(_COMPENSATIONS).where(_COMPENSATIONS.c.order_id.in_(sorted(order_ids)))
    return [Compensation(**row._mapping) for row in session.execute(query)]


def _issue(session: Session, rows: list[dict[str, Any]]) -> list[Compensation]:
    statement = _insert_offers(session.get_bind().dialect.name)
    return [Compensation(**row._mapping) for row in session.execute(statement, rows)]


@cache
def _insert_offers(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_COMPENSATIONS).on_conflict_do_nothing().returning(*_COMPENSATIONS.c)
