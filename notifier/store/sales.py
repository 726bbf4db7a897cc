"""What the orders brought, as the events tell it: each order as it was placed (`purchases`,
what a cart reminder or a win-back is credited with) and the discount codes orders used
(`order_codes`, the coupons of ours redeemed). Written in the transaction that applies the
events, many rows per statement; an event told twice writes nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from notifier.contract.events import EventIn
from notifier.store.many import insert_ignoring_conflicts
from notifier.store.models import OrderCode, Purchase

_PURCHASES = cast(Table, Purchase.__table__)
_CODES = cast(Table, OrderCode.__table__)
PLACED = "order.placed"


def record_sales(session: Session, events: Sequence[EventIn]) -> None:
    """The purchases and discount codes these events tell of."""
    purchases = {row["order_id"]: row for row in map(_purchase, events) if row is not None}
    codes = {(row["order_id"], row["code"]): row for event in events for row in _codes(event)}
    insert_ignoring_conflicts(session, _PURCHASES, list(purchases.values()), ("order_id",))
    insert_ignoring_conflicts(session, _CODES, list(codes.values()), ("id",))


def _purchase(event: EventIn) -> dict[str, Any] | None:
    if event.type != PLACED or event.order is None:
        return None
    order = event.order
    return {"order_id": order.id, "customer_id": event.customer.id if event.customer else None,
            "cart_id": order.cart_id, "placed_at": order.placed_at or event.occurred_at,
            "total": order.total, "currency": order.currency}  # fmt: skip


def _codes(event: EventIn) -> list[dict[str, Any]]:
    if event.order is None:
        return []
    customer_id = event.customer.id if event.customer else None
    return [{"order_id": event.order.id, "customer_id": customer_id, "code": code.upper(),
             "used_at": event.occurred_at} for code in event.order.discount_codes]  # fmt: skip
