"""What Twilio tells us after a send (status callbacks); what customers write back is
`care/inbound.py`.

A status only moves forward (sent → delivered, or sent → failed); an asynchronous failure that
another channel can fix (30007 carrier filtering, 63016 outside the WhatsApp window) hands the
message to the customer's next channel.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from adapters.channels.twilio import OPTED_OUT_CODE
from notifier import ports
from notifier.pipeline.parts import Parts
from notifier.store import notifications, orders, shop_webhooks
from notifier.store.db import session_scope
from notifier.store.models import Notification
from notifier.vocabulary import NotificationStatus

log = logging.getLogger(__name__)

FALLBACK_CODES = frozenset({"30007", "63016"})
DELIVERED = {"delivered", "read"}
FAILED = {"failed", "undelivered"}


def apply_status(runtime: Parts, sid: str, status: str, code: str | None) -> str:
    """Apply one status callback; a word on what it did (for logs and tests)."""
    retry = False
    with session_scope(runtime.db_url) as session:
        notification = notifications.notification_by_provider_id(session, sid)
        if notification is None:
            return "unknown message"
        if status in DELIVERED and notification.status is NotificationStatus.SENT:
            notification.status = NotificationStatus.DELIVERED
            shop_webhooks.tell_message(session, notification, runtime.clock())
            return "delivered"
        if status not in FAILED or notification.status is not NotificationStatus.SENT:
            return "unchanged"
        retry = _failed_after_sending(session, runtime, notification, status, code)
        shop_webhooks.tell_message(session, notification, runtime.clock())
    if retry:
        runtime.dispatcher.send(ports.DELIVER, notification.id)
        return "handed to the next channel"
    return "failed"


def _failed_after_sending(
    session: Session, runtime: Parts, notification: Notification, status: str, code: str | None
) -> bool:
    error = f"{status} on {notification.channel} (Twilio {code or 'no code'})"
    entry = {"channel": str(notification.channel), "outcome": "failed", "error": error,
             "code": code, "at": runtime.clock().isoformat()}  # fmt: skip
    notification.history = [*(notification.history or []), entry]
    notification.error = error
    if code == OPTED_OUT_CODE and notification.customer_id and notification.channel:
        orders.opt_out(session, notification.customer_id, [str(notification.channel)])
    if code in FALLBACK_CODES:
        notification.status = NotificationStatus.QUEUED
        notification.sent_at = None
        return True
    notification.status = NotificationStatus.FAILED
    return False
