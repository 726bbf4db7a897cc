"""Payment vouchers (pure): how to pay an OXXO / boleto / PIX / SPEI / PSE order still unpaid,
and the reminder before its voucher expires.

`order.payment_pending` (or `order.placed` with `payment.status: pending`) sends
`payment_pending` now and schedules one `payment_reminder` the policy's lead before
`payment.expires_at`, never at or after the expiry; `order.paid` cancels it. A voucher that
expired is moot: its messages are skipped when their time comes (`is_expired`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifier.contract.events import EventIn
from notifier.decide.followups import Cancel, Later
from notifier.decide.policy import PaymentReminders, Policy
from notifier.vocabulary import Kind

PAYMENT_KINDS = frozenset({Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER})
REMINDER = frozenset({Kind.PAYMENT_REMINDER})
PAYMENT_KEYS = ("status", "method", "voucher_url", "code", "expires_at")


def is_pending(event: EventIn) -> bool:
    """The event says the order waits for its payment."""
    if event.type == "order.payment_pending":
        return True
    pending = event.payment is not None and event.payment.status == "pending"
    return event.type == "order.placed" and pending


def reminder_at(
    expires_at: datetime | None, method: str | None, since: datetime, leads: PaymentReminders
) -> datetime | None:
    """When to remind: the method's lead before the expiry, if that is still ahead of `since`
    (the event's time); None when there is no expiry or no time left to remind."""
    if expires_at is None:
        return None
    at = expires_at - leads.before(method)
    return at if since < at < expires_at else None


def reminders(event: EventIn, policy: Policy) -> list[Later]:
    """The reminder a pending payment schedules (re-timed when a new voucher arrives)."""
    if not is_pending(event) or event.order is None or event.payment is None:
        return []
    payment = event.payment
    at = reminder_at(
        payment.expires_at, payment.method, event.occurred_at, policy.payment_reminder_before
    )
    if at is None:
        return []
    return [Later(Kind.PAYMENT_REMINDER, f"payment_reminder:{event.order.id}", at, moves=True)]


def cancellations(event: EventIn) -> list[Cancel]:
    """A payment received (or an order placed already paid) makes the reminder moot."""
    settled = event.type == "order.paid" or (event.type == "order.placed" and not is_pending(event))
    if settled and event.order is not None:
        return [Cancel(REMINDER, order_id=event.order.id)]
    return []


def extras(event: EventIn) -> dict[str, Any]:
    """The voucher as templates see it: method, code, voucher link, expiry."""
    payment = event.payment.model_dump(mode="json") if event.payment else {}
    return {"payment": {key: payment.get(key) for key in PAYMENT_KEYS}}


def is_expired(kind: Kind, context: dict[str, Any], now: datetime) -> bool:
    """True for a payment message whose voucher has expired by `now`: nothing more is sent."""
    if kind not in PAYMENT_KINDS:
        return False
    expires = (context.get("payment") or {}).get("expires_at")
    return isinstance(expires, str) and datetime.fromisoformat(expires) <= now
