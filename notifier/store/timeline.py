"""What we told a customer: the message records shown by the CLI and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifier.store import notifications, short_links
from notifier.store.db import session_scope
from notifier.store.models import Notification


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message_record(
    notification: Notification, clicks: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """One message as CONTRACT §3 lists it (plus subject, event, canceling event, and the
    clicks on its short links)."""
    return {
        "id": notification.id,
        "order_id": notification.order_id,
        "customer_id": notification.customer_id,
        "kind": str(notification.kind),
        "channel": str(notification.channel) if notification.channel else None,
        "rendered_for": str(notification.rendered_for) if notification.rendered_for else None,
        "to": notification.recipient,
        "status": str(notification.status),
        "due_at": _iso(notification.due_at),
        "sent_at": _iso(notification.sent_at),
        "subject": notification.subject,
        "body": notification.body,
        "error": notification.error,
        "event_id": notification.event_id,
        "canceled_by": notification.canceled_by,
        "attempts": notification.attempts,
        "provider_message_id": notification.provider_message_id,
        "history": notification.history or [],
        "clicks": clicks or [],
    }


def message_records(
    db_url: str, order_id: str | None = None, customer_id: str | None = None
) -> list[dict[str, Any]]:
    """The messages of an order and/or a customer, in the order they were planned."""
    with session_scope(db_url) as session:
        messages = notifications.list_messages(session, order_id, customer_id)
        clicks = short_links.clicks_of(session, [n.id for n in messages])
        return [message_record(n, clicks.get(n.id)) for n in messages]
