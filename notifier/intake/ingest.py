"""The one way in for events, whoever sends them (Python, CLI, HTTP): validate, store, enqueue.

The event row is committed (unique `event_id`) before its id is handed to the broker, so an
accepted event is never lost; a duplicate is acknowledged and does nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from notifier import metrics, ports
from notifier.contract.events import (
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    EventIn,
    parse_event,
    parse_event_object,
)
from notifier.errors import InvalidEvent
from notifier.ports import Core
from notifier.store.db import session_scope
from notifier.store.events import insert_events
from notifier.vocabulary import EventStatus

# One queue message per this many new events: a worker applies them in one transaction.
EVENTS_PER_MESSAGE = 100


@dataclass(frozen=True)
class Accepted:
    """An accepted event; `duplicate` when its event_id had been accepted before."""

    event_id: str
    duplicate: bool


@dataclass(frozen=True)
class ValidEvent:
    """A validated event and the JSON object it came from (stored as received)."""

    event: EventIn
    payload: dict[str, Any]


def validate_decoded(value: Any) -> ValidEvent:
    """Validate one decoded JSON value (an item of a batch may be anything: only an object can
    be an event); raises InvalidEvent (and counts the rejection)."""
    try:
        return ValidEvent(parse_event_object(value), value)
    except InvalidEvent as exc:
        metrics.count_rejection(value, exc.problems, EVENT_TYPES)
        raise


def validate(raw: bytes | str | dict[str, Any]) -> ValidEvent:
    """Validate one event given as JSON text or a decoded object; raises InvalidEvent (and
    counts the rejection)."""
    if isinstance(raw, dict):
        return validate_decoded(raw)
    try:
        event = parse_event(raw)
        return ValidEvent(event, json.loads(raw))
    except InvalidEvent as exc:
        metrics.count_rejection(_peek(raw), exc.problems, EVENT_TYPES)
        raise


def _peek(raw: bytes | str) -> Any:
    if len(raw) > MAX_EVENT_BYTES:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return None


def store_and_enqueue(runtime: Core, events: Sequence[ValidEvent]) -> list[Accepted]:
    """Store valid events in one statement, then hand the new ones to the broker, a batch of
    ids per queue message."""
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        stored = insert_events(session, [_event_row(valid, now) for valid in events])
    accepted: list[Accepted] = []
    new_rows: list[int] = []
    for valid in events:
        row_id = stored.pop(valid.event.event_id, None)  # a second copy in the batch: duplicate
        accepted.append(Accepted(valid.event.event_id, duplicate=row_id is None))
        metrics.EVENTS_ACCEPTED.labels(valid.event.type, str(row_id is None).lower()).inc()
        if row_id is not None:
            new_rows.append(row_id)
    ports.send_in_batches(runtime.dispatcher, ports.PROCESS_EVENTS, new_rows, EVENTS_PER_MESSAGE)
    return accepted


def _event_row(valid: ValidEvent, now: Any) -> dict[str, Any]:
    event = valid.event
    return {
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "order_id": event.order_id,
        "payload": valid.payload,
        "status": EventStatus.RECEIVED,
        "received_at": now,
        "enqueued_at": now,
    }


def publish(runtime: Core, event: bytes | str | dict[str, Any]) -> Accepted:
    """Publish one event. Raises InvalidEvent (naming the field) and stores nothing if invalid.

    In the embedded mode (`memory://`) this returns after the event's messages were handled.
    """
    valid = validate(event)
    return store_and_enqueue(runtime, [valid])[0]
