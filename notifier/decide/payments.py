"""Payment vouchers (pure): how to pay an OXXO / boleto / PIX / SPEI / PSE order still unpaid,
and the reminder before its voucher expires.

`order.payment_pending` (or `order.placed` with `payment.status: pending`) sends
`payment_pending` now and schedules one `payment_reminder` the policy's lead before
`payment.expires_at`, never at or after the expiry, and out of the customer's quiet hours by
going earlier (`pacing.reminder_time`); `order.paid` cancels it. A voucher that expired is
moot: its messages are skipped when their time comes (`is_expired`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifier.contract.events import EventIn
from notifier.decide import pacing
from notifier.decide.followups import Cancel, Later
from notifier.decide.policy import PaymentReminders, Policy, SpeiAccount
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


def reminders(event: EventIn, policy: Policy, timezone: str) -> list[Later]:
    """The reminder a pending payment schedules (re-timed when a new voucher arrives), out of
    the quiet hours in the customer's `timezone`: earlier, never later than the lead says, and
    before the deadline (`pacing.reminder_time`). None that would go with the instructions
    themselves: `payment_pending` has just told the deadline."""
    if not is_pending(event) or event.order is None or event.payment is None:
        return []
    payment, since = event.payment, event.occurred_at
    at = reminder_at(payment.expires_at, payment.method, since, policy.payment_reminder_before)
    if at is None or payment.expires_at is None:
        return []
    due = pacing.reminder_time(at, since, payment.expires_at, timezone, policy.quiet_hours)
    if due <= since:
        return []
    return [Later(Kind.PAYMENT_REMINDER, f"payment_reminder:{event.order.id}", due, moves=True)]


def cancellations(event: EventIn) -> list[Cancel]:
    """A payment received (or an order placed already paid) makes the reminder moot."""
    settled = event.type == "order.paid" or (event.type == "order.placed" and not is_pending(event))
    if settled and event.order is not None:
        return [Cancel(REMINDER, order_id=event.order.id)]
    return []


def extras(event: EventIn, account: SpeiAccount | None = None) -> dict[str, Any]:
    """The voucher as templates see it: method, code, voucher link, expiry; and for SPEI, where
    the transfer goes (`spei_transfer`)."""
    payment = event.payment.model_dump(mode="json") if event.payment else {}
    voucher = {key: payment.get(key) for key in PAYMENT_KEYS}
    if voucher["method"] == "spei":
        voucher["spei"] = spei_transfer(voucher["code"], account or SpeiAccount())
    return {"payment": voucher}


def spei_transfer(code: str | None, account: SpeiAccount) -> dict[str, str | None]:
    """A SPEI transfer's CLABE, bank, beneficiary and reference: a voucher's code of 18 digits
    is the order's own CLABE; any other code is the reference to write in the transfer, sent
    to the shop's CLABE of the policy."""
    own_clabe = code is not None and len(code) == 18 and code.isdigit()
    return {
        "clabe": code if own_clabe else account.clabe,
        "reference": None if own_clabe else code,
        "bank": account.bank,
        "beneficiary": account.beneficiary,
    }


def deadline(context: dict[str, Any]) -> datetime | None:
    """The voucher's expiry in a payment message's facts."""
    expires = (context.get("payment") or {}).get("expires_at")
    return datetime.fromisoformat(expires) if isinstance(expires, str) else None


def is_expired(kind: Kind, context: dict[str, Any], now: datetime) -> bool:
    """True for a payment message whose voucher has expired by `now`: nothing more is sent."""
    if kind not in PAYMENT_KINDS:
        return False
    expires = deadline(context)
    return expires is not None and expires <= now
