"""Carts: one event at a time per cart, the newest `occurred_at` winning."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from notifier.store.models import Cart
from notifier.store.upserts import upsert_locked

HELD_CARTS = "held_carts"  # session.info key: carts locked for the transaction (`held`)


def take_cart_event(session: Session, cart_id: str, occurred_at: datetime) -> bool:
    """Lock the cart (created at its first event) and take an event about it: False, and
    nothing changed, when a newer event about the cart was taken already."""
    held: dict[str, Cart] = session.info.get(HELD_CARTS, {})
    cart: Cart = held.get(cart_id) or upsert_locked(
        session, Cart, cart_id, {"last_event_at": occurred_at}
    )
    if cart.last_event_at > occurred_at:
        return False
    cart.last_event_at = occurred_at
    return True
