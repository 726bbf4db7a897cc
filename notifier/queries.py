"""Every query the notifier runs, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifier.followups import Cancel
from notifier.models import (
    MARKETING_KINDS,
    Compensation,
    Customer,
    Event,
    EventStatus,
    Notification,
    NotificationStatus,
    Order,
)

PENDING = (NotificationStatus.SCHEDULED, NotificationStatus.QUEUED)


def _insert_ignoring_conflicts(session: Session, model: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def insert_event(session: Session, values: dict[str, Any]) -> int | None:
    """Store an event; its row id, or None when that event_id was already stored."""
    statement = _insert_ignoring_conflicts(session, Event).values(**values).returning(Event.id)
    return session.execute(statement).scalar_one_or_none()


def event_order_id(session: Session, row_id: int) -> str | None:
    """The order a stored event is about (None for cart events or an unknown row)."""
    return session.execute(select(Event.order_id).where(Event.id == row_id)).scalar_one_or_none()


def lock_waiting_event(session: Session, row_id: int) -> list[Event]:
    """The event, locked, if it still waits to be processed."""
    query = select(Event).where(Event.id == row_id, Event.status == EventStatus.RECEIVED)
    return list(session.execute(query.with_for_update()).scalars())


def lock_waiting_events_of_order(session: Session, order_id: str, up_to: int) -> list[Event]:
    """The order's events that still wait, up to and including `up_to`, in arrival order."""
    query = (
        select(Event)
        .where(
            Event.order_id == order_id,
            Event.status == EventStatus.RECEIVED,
            Event.id <= up_to,
        )
        .order_by(Event.id)
        .with_for_update()
    )
    return list(session.execute(query).scalars())


def ensure_row(session: Session, model: type[Customer] | type[Order], row_id: str) -> None:
    """Create an empty customer or order row if it does not exist (safe under concurrency)."""
    session.execute(_insert_ignoring_conflicts(session, model).values(id=row_id))


def lock_order(session: Session, order_id: str) -> Order:
    """The order row, locked so two events of one order are applied one after the other."""
    ensure_row(session, Order, order_id)
    return session.execute(select(Order).where(Order.id == order_id).with_for_update()).scalar_one()


def lock_customer(session: Session, customer_id: str) -> Customer:
    """The customer row, locked for update."""
    ensure_row(session, Customer, customer_id)
    return session.execute(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    ).scalar_one()


def insert_notifications(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert planned messages; a dedup key already taken is skipped. The new rows' ids."""
    ids = []
    for row in rows:
        statement = (
            _insert_ignoring_conflicts(session, Notification)
            .values(**row)
            .returning(Notification.id)
        )
        new_id = session.execute(statement).scalar_one_or_none()
        if new_id is not None:
            ids.append(new_id)
    return ids


def claim_notification(session: Session, notification_id: int, now: datetime) -> bool:
    """Take a due, queued message for sending; False when someone else has it or it is not due."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.QUEUED,
            Notification.due_at <= now,
        )
        .values(
            status=NotificationStatus.SENDING,
            attempts=Notification.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def get_notification(session: Session, notification_id: int) -> Notification:
    """A message by id."""
    return session.execute(
        select(Notification).where(Notification.id == notification_id)
    ).scalar_one()


def get_customer(session: Session, customer_id: str | None) -> Customer | None:
    """A customer by id, or None."""
    if customer_id is None:
        return None
    return session.get(Customer, customer_id)


def record_outcome(
    session: Session, notification_id: int, status: NotificationStatus, values: dict[str, Any]
) -> None:
    """Write how a send ended, only over our own claim."""
    session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.SENDING,
        )
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )


def messages_query(order_id: str | None = None, customer_id: str | None = None) -> Select[Any]:
    """Messages, optionally of one order or one customer, in the order they were planned."""
    query = select(Notification).order_by(Notification.due_at, Notification.id)
    if order_id is not None:
        query = query.where(Notification.order_id == order_id)
    if customer_id is not None:
        query = query.where(Notification.customer_id == customer_id)
    return query


def list_messages(
    session: Session, order_id: str | None = None, customer_id: str | None = None
) -> list[Notification]:
    """The messages asked for, oldest first."""
    return list(session.execute(messages_query(order_id, customer_id)).scalars())


def mark_event(session: Session, event: Event, status: EventStatus, now: datetime) -> None:
    """Record what became of an event."""
    event.status = status
    event.processed_at = now


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Move due scheduled messages to queued and return their ids (skipping locked rows)."""
    due = (
        select(Notification.id)
        .where(Notification.status == NotificationStatus.SCHEDULED, Notification.due_at <= now)
        .order_by(Notification.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(status=NotificationStatus.QUEUED, updated_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.execute(statement).scalars())


def earlier_unsent_of_order(
    session: Session, notification_id: int, now: datetime, busy_since: datetime
) -> list[tuple[int, NotificationStatus]]:
    """Due messages of the same order planned before this one and not out yet, oldest first.

    A `sending` row counts only when it was claimed after `busy_since`: an older claim belongs
    to a sender that died, and must not hold the order's later messages back.
    """
    this = select(Notification.order_id).where(Notification.id == notification_id)
    query = (
        select(Notification.id, Notification.status)
        .where(
            Notification.order_id == this.scalar_subquery(),
            Notification.id < notification_id,
            Notification.due_at <= now,
            (Notification.status == NotificationStatus.QUEUED)
            | (
                (Notification.status == NotificationStatus.SENDING)
                & (Notification.updated_at > busy_since)
            ),
        )
        .order_by(Notification.id)
    )
    return [(row.id, row.status) for row in session.execute(query)]


def opt_out(session: Session, customer_id: str, channels: Sequence[str]) -> None:
    """Record that the customer stopped these channels (STOP, or the provider's 21610)."""
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is not None:
        customer.opted_out = sorted(set(customer.opted_out or []) | set(channels))


def already_sent_on(session: Session, notification: Notification) -> bool:
    """True when another message of the same kind and order already went on its only channel."""
    query = select(Notification.id).where(
        Notification.order_id == notification.order_id,
        Notification.kind == notification.kind,
        Notification.id != notification.id,
        Notification.channel == notification.only_channel,
        Notification.status.in_((NotificationStatus.SENT, NotificationStatus.DELIVERED)),
    )
    return session.execute(query.limit(1)).first() is not None


def notification_by_provider_id(session: Session, sid: str) -> Notification | None:
    """The message the provider knows by this id, locked for update."""
    query = select(Notification).where(Notification.provider_message_id == sid)
    return session.execute(query.with_for_update()).scalar_one_or_none()


def customers_by_phone(session: Session, phone: str) -> list[Customer]:
    """Every customer with this phone number, locked for update."""
    query = select(Customer).where(Customer.phone == phone).order_by(Customer.id)
    return list(session.execute(query.with_for_update()).scalars())


def claim_stale_sending(session: Session, cutoff: datetime, now: datetime, limit: int) -> list[Any]:
    """`sending` rows untouched since `cutoff`, as they were; touched now so that no other
    scheduler takes them during this pass."""
    rows = list(
        session.execute(
            select(
                Notification.id,
                Notification.channel,
                Notification.recipient,
                Notification.body,
                Notification.history,
                Notification.updated_at,
                Notification.customer_id,
            )
            .where(
                Notification.status == NotificationStatus.SENDING,
                Notification.updated_at < cutoff,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    _touch(session, [row.id for row in rows], now)
    return rows


def claim_forgotten_queued(
    session: Session, cutoff: datetime, now: datetime, limit: int
) -> list[int]:
    """Due `queued` rows untouched since `cutoff` (their broker message may be lost)."""
    ids = list(
        session.execute(
            select(Notification.id)
            .where(
                Notification.status == NotificationStatus.QUEUED,
                Notification.updated_at < cutoff,
                Notification.due_at <= now,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    _touch(session, ids, now)
    return ids


def _touch(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )


def mark_sent(
    session: Session,
    notification_id: int,
    provider_id: str | None,
    now: datetime,
    route: dict[str, Any] | None = None,
) -> None:
    """The provider had taken the message after all (`route`: its channel and recipient)."""
    record_outcome(
        session,
        notification_id,
        NotificationStatus.SENT,
        {"provider_message_id": provider_id, "sent_at": now, "error": None, "updated_at": now}
        | (route or {}),
    )


def requeue(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Hand `sending` rows back to the queue (the provider never got them)."""
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == NotificationStatus.SENDING)
            .values(status=NotificationStatus.QUEUED, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def insert_compensation(session: Session, values: dict[str, Any]) -> None:
    """Store an offer; a concurrent one for the same order and tier wins quietly."""
    session.execute(_insert_ignoring_conflicts(session, Compensation).values(**values))


def cancel_pending(session: Session, cancel: Cancel, event_id: str, now: datetime) -> int:
    """Cancel the pending messages a rule names; how many."""
    where = [Notification.status.in_(PENDING), Notification.kind.in_(cancel.kinds)]
    scopes = {
        Notification.order_id: cancel.order_id,
        Notification.cart_id: cancel.cart_id,
        Notification.customer_id: cancel.customer_id,
    }
    named = [column == value for column, value in scopes.items() if value is not None]
    if not named:
        return 0
    result = session.execute(
        update(Notification)
        .where(*where, *named)
        .values(status=NotificationStatus.CANCELED, canceled_by=event_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def move_scheduled(
    session: Session, key: str, due_at: datetime, context: dict[str, Any], now: datetime
) -> None:
    """A pending scheduled message takes a new due time and facts (a cart changed again)."""
    session.execute(
        update(Notification)
        .where(Notification.dedup_key == key, Notification.status == NotificationStatus.SCHEDULED)
        .values(due_at=due_at, context=context, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def orders_due_for_check(session: Session, now: datetime, limit: int) -> list[Order]:
    """Orders whose watch time has come, locked (others' locked rows skipped)."""
    query = (
        select(Order)
        .where(Order.next_check_at <= now)
        .order_by(Order.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(query).scalars())


def marketing_sent_since(
    session: Session, customer_id: str, since: datetime, sequence_cart_id: str | None
) -> list[datetime]:
    """When the customer's marketing messages went out since `since`, leaving out the other
    steps of the same cart sequence (they are spaced by their own delays)."""
    query = select(Notification.sent_at).where(
        Notification.customer_id == customer_id,
        Notification.kind.in_(MARKETING_KINDS),
        Notification.sent_at > since,
    )
    if sequence_cart_id is not None:
        query = query.where(
            (Notification.cart_id.is_(None)) | (Notification.cart_id != sequence_cart_id)
        )
    return [moment for moment in session.execute(query).scalars() if moment is not None]


def defer(
    session: Session, notification_id: int, due_at: datetime, why: str, now: datetime
) -> None:
    """Put a claimed message back on the schedule for later."""
    record_outcome(
        session,
        notification_id,
        NotificationStatus.SCHEDULED,
        # not an attempt: the claim that found it too early does not count
        {"due_at": due_at, "error": why, "updated_at": now, "attempts": Notification.attempts - 1},
    )


def claim_waiting_events(
    session: Session, cutoff: datetime, now: datetime, limit: int
) -> list[int]:
    """Events still waiting to be processed, handed to the broker before `cutoff` (their
    broker message was lost); marked handed over again now."""
    ids = list(
        session.execute(
            select(Event.id)
            .where(Event.status == EventStatus.RECEIVED, Event.enqueued_at < cutoff)
            .order_by(Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if ids:
        session.execute(
            update(Event)
            .where(Event.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def provider_ids_of_customer(session: Session, customer_id: str) -> frozenset[str]:
    """The provider ids of every message recorded for this customer."""
    query = select(Notification.provider_message_id).where(
        Notification.customer_id == customer_id, Notification.provider_message_id.is_not(None)
    )
    return frozenset(sid for sid in session.execute(query).scalars() if sid)


def append_history(session: Session, notification_id: int, entry: dict[str, Any]) -> None:
    """Add an entry to a message's history (the reconciler's findings)."""
    notification = session.get(Notification, notification_id, with_for_update=True)
    if notification is not None:
        notification.history = [*(notification.history or []), entry]
