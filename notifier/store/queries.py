"""Every query the notifier runs, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import ClauseElement

from notifier.decide.followups import Cancel
from notifier.store.models import (
    Customer,
    Event,
    Notification,
    Order,
    PlatformNotification,
    PlatformOrderState,
)
from notifier.vocabulary import MARKETING_KINDS, EventStatus, Kind, NotificationStatus, utcnow

PENDING = (NotificationStatus.SCHEDULED, NotificationStatus.QUEUED)
# The hot path's statements use the table (Core): no ORM bookkeeping for rows nobody holds.
_NOTIFICATIONS = cast(Table, Notification.__table__)


def insert_ignoring_conflicts(session: Session, model: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def insert_event(session: Session, values: dict[str, Any]) -> int | None:
    """Store an event; its row id, or None when that event_id was already stored."""
    statement = insert_ignoring_conflicts(session, Event).values(**values).returning(Event.id)
    return session.execute(statement).scalar_one_or_none()


def event_order_id(session: Session, row_id: int) -> str | None:
    """The order a stored event is about (None for cart events or an unknown row)."""
    order_id: str | None = session.execute(_EVENT_ORDER, {"row_id": row_id}).scalar_one_or_none()
    return order_id


def queued_of_event(session: Session, row_id: int, now: datetime) -> list[int]:
    """The due messages a stored event planned that still wait in `queued`, oldest first."""
    query = (
        select(Notification.id)
        .join(Event, Event.order_id == Notification.order_id)  # the indexed way in
        .where(
            Event.id == row_id,
            Notification.event_id == Event.event_id,
            Notification.status == NotificationStatus.QUEUED,
            Notification.due_at <= now,
        )
        .order_by(Notification.id)
    )
    return list(session.execute(query).scalars())


def lock_waiting_event(session: Session, row_id: int) -> list[Any]:
    """The event (id and payload), locked, if it still waits to be processed."""
    return list(session.execute(_WAITING_EVENT, {"row_id": row_id}))


def lock_waiting_events_of_order(session: Session, order_id: str, up_to: int) -> list[Any]:
    """The order's events that still wait, up to and including `up_to`, in arrival order
    (id and payload of each), locked."""
    parameters = {"order_id": order_id, "row_id": up_to}
    return list(session.execute(_WAITING_EVENTS_OF_ORDER, parameters))


_EVENTS = cast(Table, Event.__table__)
_EVENT_ORDER = select(_EVENTS.c.order_id).where(_EVENTS.c.id == bindparam("row_id"))
_WAITING = select(_EVENTS.c.id, _EVENTS.c.payload).where(_EVENTS.c.status == EventStatus.RECEIVED)
_WAITING_EVENT = _WAITING.where(_EVENTS.c.id == bindparam("row_id")).with_for_update()
_WAITING_EVENTS_OF_ORDER = (
    _WAITING.where(_EVENTS.c.order_id == bindparam("order_id"), _EVENTS.c.id <= bindparam("row_id"))
    .order_by(_EVENTS.c.id)
    .with_for_update()
)


def lock_order(session: Session, order_id: str) -> Order:
    """The order row, created if new and locked so two events of one order are applied one
    after the other."""
    order: Order = _upsert_locked(session, Order, order_id)
    return order


@dataclass
class HeldOrder:
    """An order row locked for this transaction but kept out of the ORM session: `save_order`
    writes what changed in one UPDATE (no unit of work, no autoflush before every query)."""

    order: Order
    loaded: dict[str, Any]


def hold_order(session: Session, order_id: str) -> HeldOrder:
    """The order row, created if new, locked, as a detached object."""
    statement = _upsert(session.get_bind().dialect.name, Order, (), as_object=False)
    loaded = dict(session.execute(statement, {"row_id": order_id}).one()._mapping)
    return HeldOrder(Order(**loaded), loaded)


def save_order(session: Session, held: HeldOrder) -> None:
    """Write the held order's changed columns, if any."""
    order, loaded = held.order, held.loaded
    changed = {
        name: getattr(order, name) for name in loaded if getattr(order, name) != loaded[name]
    }
    if changed:
        parameters = {f"new_{name}": value for name, value in changed.items()}
        session.execute(_order_update(tuple(sorted(changed))), {"row_id": order.id, **parameters})
        held.loaded = {**loaded, **changed}


@cache
def _order_update(names: tuple[str, ...]) -> Any:
    table = cast(Table, Order.__table__)
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in names}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


def lock_customer(
    session: Session, customer_id: str, new: dict[str, Any] | None = None
) -> Customer:
    """The customer row, locked for update; created with `new`'s columns if it did not exist
    (an existing customer keeps theirs: the caller merges what changed)."""
    customer: Customer = _upsert_locked(session, Customer, customer_id, new or {})
    return customer


def _upsert_locked(
    session: Session,
    model: type[Customer] | type[Order],
    row_id: str,
    new: dict[str, Any] | None = None,
) -> Any:
    """One statement, safe under concurrency: INSERT … ON CONFLICT DO UPDATE locks the row
    that exists, or creates it, and returns it, as an object of the session."""
    columns = tuple(sorted(new or {}))
    dialect = session.get_bind().dialect.name
    parameters = {"row_id": row_id, **(new or {})}
    if identity_key(model, row_id) in session.identity_map:  # rare: lock, and refresh it
        statement = _upsert(dialect, model, columns, as_object=True)
        options = {"populate_existing": True}
        return session.execute(statement, parameters, execution_options=options).scalar_one()
    row = session.execute(_upsert(dialect, model, columns, as_object=False), parameters).one()
    found = model(**row._mapping)
    make_transient_to_detached(found)  # as if loaded: what the caller changes is flushed
    session.add(found)
    return found


@cache
def _upsert(
    dialect: str, model: type[Customer] | type[Order], columns: tuple[str, ...], as_object: bool
) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    values: dict[str, Any] = {"id": bindparam("row_id")} | {
        name: bindparam(name) for name in columns
    }
    statement = insert(model if as_object else table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["id"], set_={"id": statement.excluded.id}
    )
    return statement.returning(model) if as_object else statement.returning(*table.c)


def insert_notifications(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert planned messages; a dedup key already taken is skipped. The new rows' ids."""
    statement = _insert_notification(session.get_bind().dialect.name)
    ids = []
    for row in rows:
        new_id = session.execute(statement, row).scalar_one_or_none()
        if new_id is not None:
            ids.append(new_id)
    return ids


@cache
def _insert_notification(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_NOTIFICATIONS).on_conflict_do_nothing().returning(_NOTIFICATIONS.c.id)


def claim_notification(
    session: Session, notification_id: int, now: datetime, unless_after: datetime | None = None
) -> Notification | None:
    """Take a due, queued message for sending, in one statement; None when someone else has
    it or it is not due. With `unless_after`, also None while an earlier message of its order
    waits (as `earlier_unsent_of_order` counts them, busy since `unless_after`).

    The message comes back detached (the row as claimed): reading it costs no second query."""
    statement = _CLAIM if unless_after is None else _CLAIM_FIRST_OF_ORDER
    parameters = {"notification_id": notification_id, "now": now, "busy_since": unless_after}
    row = session.execute(statement, parameters).one_or_none()
    return None if row is None else Notification(**row._mapping)


def get_customer(session: Session, customer_id: str | None) -> Customer | None:
    """A customer by id, or None."""
    if customer_id is None:
        return None
    return session.get(Customer, customer_id)


def record_outcome(
    session: Session, notification_id: int, status: NotificationStatus, values: dict[str, Any]
) -> None:
    """Write how a send ended, only over our own claim."""
    parameters = {"notification_id": notification_id, "new_status": status}
    if any(isinstance(value, ClauseElement) for value in values.values()):
        session.execute(_outcome_statement(values), parameters)  # rare: not worth caching
        return
    parameters |= {f"new_{name}": value for name, value in values.items()}
    session.execute(_cached_outcome(tuple(sorted(values))), parameters)


@cache
def _cached_outcome(names: tuple[str, ...]) -> Any:
    """The statement for this set of columns, built once."""
    return _outcome_statement({name: bindparam(f"new_{name}") for name in names})


def _outcome_statement(values: dict[str, Any]) -> Any:
    return (
        update(_NOTIFICATIONS)
        .where(
            _NOTIFICATIONS.c.id == bindparam("notification_id"),
            _NOTIFICATIONS.c.status == NotificationStatus.SENDING,
        )
        .values(status=bindparam("new_status"), **values)
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


def mark_events(
    session: Session, row_ids: Sequence[int], status: EventStatus, now: datetime
) -> None:
    """Record what became of these events."""
    if row_ids:
        session.execute(_MARK_EVENTS, {"row_ids": list(row_ids), "status": status, "now": now})


_MARK_EVENTS = (
    update(_EVENTS)
    .where(_EVENTS.c.id.in_(bindparam("row_ids", expanding=True)))
    .values(status=bindparam("status"), processed_at=bindparam("now"))
)


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
    parameters = {"notification_id": notification_id, "now": now, "busy_since": busy_since}
    return [(row.id, row.status) for row in session.execute(_EARLIER_OF_ORDER, parameters)]


# The delivery's statements, built once: they run for every message.
_EARLIER = _NOTIFICATIONS.alias("earlier")


def _earlier_waiting(order_id: Any) -> Select[int, NotificationStatus]:
    return select(_EARLIER.c.id, _EARLIER.c.status).where(
        _EARLIER.c.order_id == order_id,
        _EARLIER.c.id < bindparam("notification_id"),
        _EARLIER.c.due_at <= bindparam("now"),
        (_EARLIER.c.status == NotificationStatus.QUEUED)
        | (
            (_EARLIER.c.status == NotificationStatus.SENDING)
            & (_EARLIER.c.updated_at > bindparam("busy_since"))
        ),
    )


_EARLIER_OF_ORDER = _earlier_waiting(
    select(_NOTIFICATIONS.c.order_id)
    .where(_NOTIFICATIONS.c.id == bindparam("notification_id"))
    .scalar_subquery()
).order_by(_EARLIER.c.id)
_CLAIM = (
    update(_NOTIFICATIONS)
    .where(
        _NOTIFICATIONS.c.id == bindparam("notification_id"),
        _NOTIFICATIONS.c.status == NotificationStatus.QUEUED,
        _NOTIFICATIONS.c.due_at <= bindparam("now"),
    )
    .values(
        status=NotificationStatus.SENDING,
        attempts=_NOTIFICATIONS.c.attempts + 1,
        updated_at=bindparam("now"),
    )
    .returning(*_NOTIFICATIONS.c)
)
_CLAIM_FIRST_OF_ORDER = _CLAIM.where(~_earlier_waiting(_NOTIFICATIONS.c.order_id).exists())


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


def cancel_pending(session: Session, cancel: Cancel, event_id: str, now: datetime) -> int:
    """Cancel the pending messages a rule names; how many."""
    scopes = {
        "order_id": cancel.order_id,
        "cart_id": cancel.cart_id,
        "customer_id": cancel.customer_id,
    }
    named = {f"scope_{name}": value for name, value in scopes.items() if value is not None}
    if not named:
        return 0
    parameters = {"canceling_event": event_id, "now": now}
    statement = _cancel(tuple(sorted(named)), tuple(sorted(cancel.kinds)))
    result = session.execute(statement, parameters | named)
    return int(result.rowcount)  # type: ignore[attr-defined]


@cache
def _cancel(scopes: tuple[str, ...], kinds: tuple[Kind, ...]) -> Any:
    """Built once per scope and kinds (a handful of each: the rules name them)."""
    return (
        update(_NOTIFICATIONS)
        .where(
            _NOTIFICATIONS.c.status.in_(PENDING),
            _NOTIFICATIONS.c.kind.in_(kinds),
            *[_NOTIFICATIONS.c[name.removeprefix("scope_")] == bindparam(name) for name in scopes],
        )
        .values(
            status=NotificationStatus.CANCELED,
            canceled_by=bindparam("canceling_event"),
            updated_at=bindparam("now"),
        )
    )


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
    waiting = Event.status == EventStatus.RECEIVED
    return _claim_handed_over_before(session, Event, waiting, cutoff, now, limit)


def _claim_handed_over_before(
    session: Session,
    model: type[Event] | type[PlatformNotification],
    waiting: Any,
    cutoff: datetime,
    now: datetime,
    limit: int,
) -> list[int]:
    """Rows still `waiting` that were handed to the broker before `cutoff`, oldest first
    (others' locked rows skipped), marked handed over again now."""
    ids = list(
        session.execute(
            select(model.id)
            .where(waiting, model.enqueued_at < cutoff)
            .order_by(model.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def insert_platform_notification(
    session: Session, *, platform: str, dedup_key: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """Store a platform's notification to fetch; its row id, or None if it was stored before."""
    values = {
        "platform": platform,
        "dedup_key": dedup_key,
        "payload": payload,
        "status": "received",
        "attempts": 0,
        "received_at": now,
        "enqueued_at": now,
    }
    statement = (
        insert_ignoring_conflicts(session, PlatformNotification)
        .values(**values)
        .returning(PlatformNotification.id)
    )
    return session.execute(statement).scalar_one_or_none()


def waiting_platform_notification(
    session: Session, row_id: int
) -> tuple[str, dict[str, Any]] | None:
    """(platform, payload) of a notification still waiting to be fetched, else None."""
    row = session.execute(
        select(PlatformNotification.platform, PlatformNotification.payload).where(
            PlatformNotification.id == row_id, PlatformNotification.status == "received"
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def note_platform_attempt(session: Session, row_id: int, error: str) -> int:
    """Count a failed fetch of a notification and say why; the attempts so far."""
    attempts = session.execute(
        update(PlatformNotification)
        .where(PlatformNotification.id == row_id)
        .values(attempts=PlatformNotification.attempts + 1, outcome=error)
        .returning(PlatformNotification.attempts)
    ).scalar_one()
    return int(attempts)


def finish_platform_notification(
    session: Session, row_id: int, status: str, outcome: str, now: datetime
) -> None:
    """A notification is done with: what came of it (done, ignored, failed) and why."""
    session.execute(
        update(PlatformNotification)
        .where(PlatformNotification.id == row_id, PlatformNotification.status == "received")
        .values(status=status, outcome=outcome, processed_at=now)
    )


def claim_waiting_platform_notifications(
    session: Session, cutoff: datetime, now: datetime, limit: int
) -> list[int]:
    """Notifications still waiting to be fetched, handed over before `cutoff` (the fetch
    failed for now, or the broker lost them); marked handed over again now."""
    waiting = PlatformNotification.status == "received"
    return _claim_handed_over_before(session, PlatformNotification, waiting, cutoff, now, limit)


def swap_platform_status(session: Session, platform: str, order_id: str, status: str) -> str | None:
    """Record the status a platform now reports for an order; the one recorded before (None
    the first time). The row is locked, so two updates of one order take turns."""
    ensure = insert_ignoring_conflicts(session, PlatformOrderState).values(
        platform=platform, order_id=order_id, status="", updated_at=utcnow()
    )
    session.execute(ensure)
    state = session.execute(
        select(PlatformOrderState)
        .where(PlatformOrderState.platform == platform, PlatformOrderState.order_id == order_id)
        .with_for_update()
    ).scalar_one()
    previous = state.status or None
    state.status = status
    return previous


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


def scheduled_backlog(session: Session, now: datetime) -> tuple[int, int]:
    """Scheduled messages waiting: (all of them, those already due)."""
    scheduled = Notification.status == NotificationStatus.SCHEDULED
    waiting = session.execute(select(func.count()).where(scheduled)).scalar_one()
    due = session.execute(
        select(func.count()).where(scheduled, Notification.due_at <= now)
    ).scalar_one()
    return waiting, due
