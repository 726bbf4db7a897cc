"""The words every layer speaks: the statuses, the kinds of message, the channels, and now.

The ground of the house: this imports nothing of notifier, and everything may import it.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


class OrderStatus(enum.StrEnum):
    """Where an order is; it only moves forward (canceled ends it)."""

    PAYMENT_PENDING = "payment_pending"
    PLACED = "placed"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELED = "canceled"


class EventStatus(enum.StrEnum):
    """What became of a stored event."""

    RECEIVED = "received"
    PROCESSED = "processed"
    STALE = "stale"


class NotificationStatus(enum.StrEnum):
    """A message's life: scheduled → queued → sending → sent → delivered, or an end beside."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELED = "canceled"
    SKIPPED = "skipped"


class Kind(enum.StrEnum):
    """Every kind of message of CONTRACT §4."""

    ORDER_CONFIRMED = "order_confirmed"
    ORDER_SHIPPED = "order_shipped"
    IN_TRANSIT_UPDATE = "in_transit_update"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ORDER_DELIVERED = "order_delivered"
    DELAY_NOTICE = "delay_notice"
    ORDER_CANCELED = "order_canceled"
    REFUND_ISSUED = "refund_issued"
    RETURN_RECEIVED = "return_received"
    OUT_OF_STOCK = "out_of_stock"
    CART_REMINDER_1 = "cart_reminder_1"
    CART_REMINDER_2 = "cart_reminder_2"
    REVIEW_REQUEST = "review_request"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_REMINDER = "payment_reminder"
    HANDOFF_ACK = "handoff_ack"
    CHOICE_ACK = "choice_ack"
    HANDOFF_FOLLOWUP = "handoff_followup"
    WINBACK = "winback"

    @property
    def is_marketing(self) -> bool:
        """Marketing kinds need consent and obey quiet hours and frequency caps."""
        return self in MARKETING_KINDS


MARKETING_KINDS = frozenset(
    {Kind.CART_REMINDER_1, Kind.CART_REMINDER_2, Kind.REVIEW_REQUEST, Kind.WINBACK}
)


class Channel(enum.StrEnum):
    """Where a message goes out."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    CONSOLE = "console"


class HandoffStatus(enum.StrEnum):
    """A conversation waiting for a person, or one a person closed."""

    OPEN = "open"
    CLOSED = "closed"


class ForwardStatus(enum.StrEnum):
    """A handoff's way to the support inbox or webhook."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # that destination is not configured
