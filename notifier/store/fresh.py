"""Rows this transaction created (customers, carts) that no message points at yet: a
cancellation scoped to one of them has nothing to cancel, and costs no statement.

Known exactly on PostgreSQL only (the INSERT says which rows it inserted); elsewhere nothing is
marked fresh and every cancellation runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

FRESH_SCOPES = "fresh_scopes"  # session.info key: {(scope column, value)}
SCOPES = ("order_id", "cart_id", "customer_id")


def mark_fresh(session: Session, scope: str, values: Iterable[str]) -> None:
    """These rows (customer or cart ids, `scope` their column in messages) are new."""
    fresh: set[tuple[str, str]] = session.info.setdefault(FRESH_SCOPES, set())
    fresh.update((scope, value) for value in values)


def nothing_in(session: Session, scopes: Mapping[str, Any]) -> bool:
    """True when no message can match all these scopes: one of them is fresh."""
    fresh: set[tuple[str, str]] = session.info.get(FRESH_SCOPES, set())
    return any((scope, value) in fresh for scope, value in scopes.items())


def planned(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Messages are being inserted: what they point at is not fresh any more."""
    fresh: set[tuple[str, str]] | None = session.info.get(FRESH_SCOPES)
    if fresh:
        for row in rows:
            fresh.difference_update((scope, row.get(scope)) for scope in SCOPES)
