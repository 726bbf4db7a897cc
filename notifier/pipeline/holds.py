"""Messages put off or made moot when their time comes: marketing held while a person has the
customer's conversation open, and payment messages whose voucher expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from notifier.decide import payments
from notifier.store import care, notifications
from notifier.store.handoffs import HELD, HOLD_RECHECK
from notifier.store.models import Notification
from notifier.vocabulary import NotificationStatus


def put_off(session: Session, notification: Notification, now: datetime) -> bool:
    """True when the claimed message does not go now: held back on the schedule (marketing
    during an open handoff) or skipped (an expired voucher's messages)."""
    if payments.is_expired(notification.kind, notification.context or {}, now):
        values = {"error": "skipped: the payment voucher expired", "updated_at": now}
        notifications.record_outcome(
            session, notification.id, notification.claim_token, NotificationStatus.SKIPPED, values
        )
        return True
    customer_id = notification.customer_id
    if not notification.kind.is_marketing or customer_id is None:
        return False
    if not care.has_open_handoff(session, customer_id):
        return False
    claim = notification.claim_token
    notifications.defer(session, notification.id, claim, now + HOLD_RECHECK, HELD, now)
    return True
