"""The tables: customers, orders, events, notifications, and the conversations handed to a
person (SQLAlchemy 2, typed)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from notifier.store.db import Base, UTCDateTime
from notifier.vocabulary import (
    Channel,
    EventStatus,
    ForwardStatus,
    HandoffStatus,
    Kind,
    NotificationStatus,
    OrderStatus,
    utcnow,
)

Id = BigInteger().with_variant(Integer(), "sqlite")


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Customer(Base):
    """What the notifier knows of a customer; later events update it."""

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    channels: Mapped[list[str] | None] = mapped_column(JSON)
    consent: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    orders_count: Mapped[int | None] = mapped_column(Integer)
    # Channels the customer stopped themselves (STOP/BAJA…): stronger than the shop's consent.
    opted_out: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The WhatsApp 24-hour window opened by the customer's last inbound message.
    whatsapp_window_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Win-back: the customer's latest order, when the daily scan should look at them next
    # (indexed: the scan reads only the customers whose time has come), and the last one sent.
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    winback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_winback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when each fact above (and each `consent.<key>`) was true: older events don't undo it
    facts_at: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Order(Base):
    """An order's state and the details gathered from its events."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[OrderStatus | None] = mapped_column(_enum(OrderStatus))
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shipment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When the late-order scan should look at this order next (None: nothing to watch).
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The last tracking scan (shipment event), and the latest ETA a delay notice announced.
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_eta: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Event(Base):
    """An accepted event, stored before it is processed so it is never lost."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_status_enqueued_at", "status", "enqueued_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[str | None] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), default=EventStatus.RECEIVED)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When its id was last handed to the broker: the sweeper hands it again if it is still
    # waiting long after (the broker lost it: a flushed or restarted Redis).
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """One message to one customer: planned, due at `due_at`, claimed, sent once."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind))
    order_id: Mapped[str | None] = mapped_column(String(200), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)
    cart_id: Mapped[str | None] = mapped_column(String(200), index=True)
    event_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[NotificationStatus] = mapped_column(_enum(NotificationStatus))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set when the message may only go on one channel (the email copy of a chat message).
    only_channel: Mapped[Channel | None] = mapped_column(_enum(Channel))
    channel: Mapped[Channel | None] = mapped_column(_enum(Channel))
    # The channel whose templates were used: differs from `channel` when the console stands in.
    rendered_for: Mapped[Channel | None] = mapped_column(_enum(Channel))
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every claim (a sender's, or the reconciler's taking over a stale `sending` row):
    # an outcome is written only while the row still holds the claim its writer took.
    claim_token: Mapped[int] = mapped_column(Integer, default=0)
    # When the current claim's call to the provider started, committed before the call: None
    # while it has not, so nothing went out under this claim.
    provider_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Every attempt on every channel: {"channel", "outcome", "error", "code", "at"}.
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    canceled_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # What sending it cost, estimated from the policy's price table (USD), and what for.
    segments: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))  # the recipient's, ISO 3166
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    coupon_code: Mapped[str | None] = mapped_column(String(64), index=True)  # a coupon it gave


class Compensation(Base):
    """What a late order was offered: one coupon per tier reached, unguessable."""

    __tablename__ = "compensations"
    __table_args__ = (UniqueConstraint("order_id", "tier"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    percent_off: Mapped[int | None] = mapped_column(Integer)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handoff(Base):
    """A conversation that needs a person: the customer's words, their orders, our last messages."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # The customer's id (or `phone:<number>` for an unknown sender) while open, NULL once closed:
    # unique, so a second message joins the open conversation instead of opening another.
    open_key: Mapped[str | None] = mapped_column(String(220), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[HandoffStatus] = mapped_column(_enum(HandoffStatus))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(320))
    # Every inbound message and note: {"at", "channel", "text"} (or {"at", "note"}).
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What the person needs to answer: the customer, recent orders, our last messages.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reply_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupportForward(Base):
    """One delivery of a handoff (or of a message joining it) to support, retried until sent."""

    __tablename__ = "support_forwards"
    __table_args__ = (
        UniqueConstraint("handoff_id", "seq", "target"),
        Index("ix_support_forwards_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    seq: Mapped[int] = mapped_column(Integer)  # how many messages the handoff had when planned
    target: Mapped[str] = mapped_column(String(16))  # "webhook" or "email"
    status: Mapped[ForwardStatus] = mapped_column(_enum(ForwardStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JobRun(Base):
    """A periodic job's run, once per key (the day): two schedulers never both run it."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "run_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64))
    run_key: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlatformNotification(Base):
    """A shop platform's webhook that carries ids only (VTEX, Tiendanube, Mercado Libre),
    stored as received so the request answers at once; a task fetches the resource, maps it
    and ingests the events. `dedup_key` makes a redelivered notification a no-op."""

    __tablename__ = "platform_notifications"
    __table_args__ = (
        Index("ix_platform_notifications_status_enqueued_at", "status", "enqueued_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # received → done | ignored | failed; `outcome` says what came of it, or why not.
    status: Mapped[str] = mapped_column(String(16), default="received")
    outcome: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlatformOrderState(Base):
    """The last status a platform reported for an order, for platforms whose updates do not
    say what changed (WooCommerce's order.updated has no previous status)."""

    __tablename__ = "platform_order_states"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UnsubscribeLink(Base):
    """The one-click unsubscribe token a marketing email carries (RFC 8058): random, one per
    message, so a link names nobody and cannot be guessed from another."""

    __tablename__ = "unsubscribe_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    notification_id: Mapped[int] = mapped_column(Id, ForeignKey("notifications.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Cart(Base):
    """A cart's lock and the time of the newest event taken about it: cart events (and the
    order placed from the cart) are applied one at a time and in `occurred_at` order, so a
    late older event neither re-times the reminders nor plans them after the order."""

    __tablename__ = "carts"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShopWebhook(Base):
    """One webhook to the shop's backend (`customer.choice`, `message.status`), written in the
    transaction of what it tells and kept until the shop takes it: claimed before each attempt,
    tried again with backoff, always under the same `webhook_id`."""

    __tablename__ = "shop_webhooks"
    __table_args__ = (
        Index("ix_shop_webhooks_delivered_at_next_attempt_at", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True)  # msg_…, on every attempt
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the tick looks again
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # what the shop answered; no URL


class CustomerChoice(Base):
    """What a customer chose in answer to a message that offered choices (a tap, a numbered
    reply, a link of an email): stored once per provider message and once per message and
    choice, with what the shop was asked to do about it."""

    __tablename__ = "customer_choices"
    __table_args__ = (UniqueConstraint("notification_id", "choice"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    order_id: Mapped[str | None] = mapped_column(String(200), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)
    choice: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer)  # 1 to 5 for a satisfaction score
    channel: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(16))  # button, reply or link
    # The inbound message's id at the provider: Twilio posting it twice is one choice.
    provider_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The cancel carried out at the shop's platform: pending, done, refused, failed (None: none).
    shop_action: Mapped[str | None] = mapped_column(String(16))
    shop_action_attempts: Mapped[int] = mapped_column(Integer, default=0)
    shop_action_error: Mapped[str | None] = mapped_column(Text)
    shop_action_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the next try


class AppSecret(Base):
    """A key this installation made for itself the first time it needed one (the signing key
    of choice buttons and links, when no NOTIFIER_LINK_SECRET is set)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Purchase(Base):
    """An order as it was placed: who, from which cart, when, for how much (what a reminder or
    a win-back is credited with)."""

    __tablename__ = "purchases"

    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)
    cart_id: Mapped[str | None] = mapped_column(String(200), index=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))


class OrderCode(Base):
    """A discount code an order used (`order.discount_codes`): a coupon of ours redeemed."""

    __tablename__ = "order_codes"
    __table_args__ = (UniqueConstraint("order_id", "code"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShortLink(Base):
    """A link of an SMS or a WhatsApp message as it went out, `{public_url}/r/{code}`: a random
    code per message and target, so a click is counted against the message that carried it."""

    __tablename__ = "short_links"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    notification_id: Mapped[int] = mapped_column(Id, ForeignKey("notifications.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkClick(Base):
    """A customer's click on a short link (a link preview's fetch is not one)."""

    __tablename__ = "link_clicks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), ForeignKey("short_links.code"))
    notification_id: Mapped[int] = mapped_column(Id, ForeignKey("notifications.id"), index=True)
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
