"""What a cancellation means for the customer (pure): the facts `order_canceled` is written
from, so the copy can say what really happens to their money.

- After a delay notice we sent for the order (or a cancel reason that names the delay), the
  cancellation is the choice the notice offered: the refund is the order's whole total, and
  immediate.
- An order canceled while it still waited for its payment (or with the reason
  `payment_expired`) charged nothing: no refund to speak of, and a link to order again.
- Otherwise the refund is the amount the cancel event states, if any (else the copy says a
  charge, if any, is refunded separately).
"""

from __future__ import annotations

from typing import Any

from notifier.contract.events import EventIn
from notifier.vocabulary import OrderStatus

DELAY_REASONS = frozenset(
    {"delay", "delayed", "late", "late_delivery", "delivery_delay", "shipping_delay"}
)
UNPAID_REASONS = frozenset({"payment_expired", "payment_not_received", "unpaid"})


def _reason_in(reason: str | None, reasons: frozenset[str]) -> bool:
    return (reason or "").strip().lower().replace("-", "_").replace(" ", "_") in reasons


def facts(
    event: EventIn, details: dict[str, Any], was: OrderStatus | None, delay_told: bool,
    shop_url: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The `cancellation` facts of an `order_canceled` message. `details` are the order's
    (with the event's), `was` its status before the cancel, `delay_told` whether a delay
    notice of ours went out for it."""
    reason = details.get("cancel_reason")
    unpaid = was is OrderStatus.PAYMENT_PENDING or _reason_in(reason, UNPAID_REASONS)
    after_delay = not unpaid and (delay_told or _reason_in(reason, DELAY_REASONS))
    stated = event.order.refund_amount if event.order else None
    refund = str(stated) if stated is not None else None
    if after_delay:
        refund = refund or details.get("total")
    return {
        "reason": reason,
        "after_delay": after_delay,
        "unpaid": unpaid,
        "refund_amount": None if unpaid else refund,
        "currency": details.get("currency"),
        "order_again_url": details.get("status_url") or shop_url,
    }
