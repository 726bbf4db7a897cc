"""The events table: stored once by event_id, then claimed, applied and marked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from notifier.store.many import insert_ignoring_conflicts, one_of
from notifier.store.models import (
    Event,
    Notification,
    PlatformNotification,
)
from notifier.vocabulary import EventStatus, NotificationStatus


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Store events in one statement; the row id of each new one by event_id (an event_id
    stored before, or twice in `rows`, is stored once)."""
    stored = insert_ignoring_conflicts(session, _EVENTS, rows, ("id", "event_id"))
    return {row.event_id: row.id for row in stored}


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


def mark_events(
    session: Session, row_ids: Sequence[int], status: EventStatus, now: datetime
) -> None:
    """Record what became of these events."""
    if row_ids:
        parameters = {"row_ids": list(row_ids), "status": status, "now": now}
        session.execute(_mark_events(session.get_bind().dialect.name), parameters)


@cache
def _mark_events(dialect: str) -> Any:
    return (
        update(_EVENTS)
        .where(one_of(_EVENTS.c.id, "row_ids", dialect))
        .values(status=bindparam("status"), processed_at=bindparam("now"))
    )


def claim_waiting_events(
    session: Session, cutoff: datetime, now: datetime, limit: int
) -> list[int]:
    """Events still waiting to be processed, handed to the broker before `cutoff` (their
    broker message was lost); marked handed over again now."""
    waiting = Event.status == EventStatus.RECEIVED
    return claim_handed_over_before(session, Event, waiting, cutoff, now, limit)


def claim_handed_over_before(
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
