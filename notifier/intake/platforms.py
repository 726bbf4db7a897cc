"""Shop platforms' webhooks into the one ingest path: mapped events validated and stored, and
the durable hand-off for webhooks that carry ids only.

A mapped event keeps where it came from (`source`: platform and notes, such as "no usable
contact") in its stored payload; the contract's validation ignores it. An optional field a
platform filled with something unusable (a malformed URL or email) is dropped with a note rather
than costing the customer the whole event; a missing required one is a 4xx naming it.

VTEX, Tiendanube and Mercado Libre must be answered within seconds (Mercado Libre: 500 ms), so
their webhook is stored as a `platform_notifications` row and its id handed to the broker; the
`platforms.fetch` task fetches the resource from the platform's API, maps and ingests it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from adapters.platforms.common import Event, FetchFailed, Mapping, PlatformError
from notifier import ports
from notifier.errors import InvalidEvent, TransientError
from notifier.intake.fetchers import FETCHERS
from notifier.intake.ingest import Accepted, ValidEvent, store_and_enqueue, validate
from notifier.logs import mask
from notifier.ports import Core
from notifier.store import platforms as platform_rows
from notifier.store.db import session_scope

log = logging.getLogger(__name__)

# A fetcher turns a stored notification into a mapping, calling the platform's API.
_LOGGED_IGNORED: set[tuple[str, str]] = set()
FETCH_GRACE = timedelta(minutes=5)
# The broker's retries and then the scheduler's sweep (every FETCH_GRACE) try this many times in
# all, about a day when the platform's API stays down; then the row is failed with the reason.
MAX_FETCH_ATTEMPTS = 250
# What a mapping raises on a resource whose parts have the wrong JSON types.
SHAPE_ERRORS = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def log_ignored_once(platform: str, reason: str) -> None:
    """An unmapped topic or state is logged the first time it is seen, not on every delivery."""
    if (platform, reason) not in _LOGGED_IGNORED:
        _LOGGED_IGNORED.add((platform, reason))
        log.info("%s webhook ignored: %s", platform, reason)


def ingest_mapping(runtime: Core, platform: str, mapping: Mapping) -> list[Accepted]:
    """Validate and store the mapped events (all or none); InvalidEvent names a bad field."""
    return store_and_enqueue(runtime, validate_mapping(platform, mapping))


def validate_mapping(platform: str, mapping: Mapping) -> list[ValidEvent]:
    """The mapped events validated against the contract (notes and ignored topics logged)."""
    if mapping.ignored and not mapping.events:
        log_ignored_once(platform, mapping.ignored)
    for note in mapping.notes:
        log.info("%s: %s", platform, mask(note))
    return [_validated(platform, event, mapping.notes) for event in mapping.events]


def ingest_status_change(
    runtime: Core,
    platform: str,
    order_id: str,
    status: str,
    mapper: Callable[[str | None], Mapping],
) -> tuple[Mapping, list[Accepted]]:
    """For platforms whose updates do not say what changed (WooCommerce): record the order's
    new status and map the transition from the one recorded before. Nothing is recorded when
    the mapped events are invalid, so a corrected redelivery maps the same transition."""
    with session_scope(runtime.db_url) as session:
        previous = platform_rows.swap_platform_status(session, platform, order_id, status)
        mapping = mapper(previous)
        valid = validate_mapping(platform, mapping)
    return mapping, store_and_enqueue(runtime, valid)


def _validated(platform: str, event: Event, notes: list[str]) -> ValidEvent:
    kept = list(notes)
    source: dict[str, Any] = {"platform": platform, "notes": kept}
    try:
        return validate({**event, "source": source})
    except InvalidEvent as exc:
        dropped = [p.field for p in exc.problems if _optional(p.field)]
        if len(dropped) < len(exc.problems):
            raise
    salvaged = event
    for path in dropped:
        salvaged = _without(salvaged, path.split("."))
    kept += [f"dropped {path}: not a usable value" for path in dropped]
    return validate({**salvaged, "source": source})


def _optional(field: str) -> bool:
    parts = field.split(".")
    return len(parts) >= 2 and parts[-1] != "id" and parts[0] != "(body)"


def _without(section: Any, path: list[str]) -> Any:
    """A copy of a JSON value without the element at `path` (keys and list indexes)."""
    head, rest = path[0], path[1:]
    if isinstance(section, dict):
        if not rest:
            return {k: v for k, v in section.items() if k != head}
        return {k: (_without(v, rest) if k == head else v) for k, v in section.items()}
    if isinstance(section, list) and head.isdigit():
        index = int(head)
        if not rest:
            return [v for i, v in enumerate(section) if i != index]
        return [(_without(v, rest) if i == index else v) for i, v in enumerate(section)]
    return section


def hand_off(runtime: Core, platform: str, dedup_key: str, payload: dict[str, Any]) -> bool:
    """Store a notification to fetch later and hand it to the broker; False for a repeat."""
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        row_id = platform_rows.insert_platform_notification(
            session, platform=platform, dedup_key=dedup_key, payload=payload, now=now
        )
    if row_id is None:
        return False
    runtime.dispatcher.send(ports.PLATFORM_FETCH, row_id)
    return True


def fetch_and_ingest(runtime: Core, row_id: int) -> str | None:
    """The `platforms.fetch` task: fetch, map and ingest a stored notification once.

    A transient failure of the platform's API raises TransientError (retried); a permanent
    one marks the row failed with the reason. Ingesting twice is harmless: event ids are
    derived from the platform's, so a rerun after a crash stores nothing new."""

    with session_scope(runtime.db_url) as session:
        waiting = platform_rows.waiting_platform_notification(session, row_id)
    if waiting is None:
        return None
    platform, payload = waiting
    try:
        mapping = FETCHERS[platform](runtime.settings, payload)
        accepted = ingest_mapping(runtime, platform, mapping)
    except FetchFailed as exc:
        return _fetch_failed(runtime, row_id, platform, exc)
    except (PlatformError, InvalidEvent, *SHAPE_ERRORS) as exc:
        # Retrying cannot fix what the platform answered: record why and stop.
        return _finish(runtime, row_id, "failed", f"{type(exc).__name__}: {exc}")
    if not accepted:
        return _finish(runtime, row_id, "ignored", mapping.ignored or "no events")
    ids = ", ".join(a.event_id for a in accepted)
    return _finish(runtime, row_id, "done", "; ".join([f"events {ids}", *mapping.notes]))


def _fetch_failed(runtime: Core, row_id: int, platform: str, exc: FetchFailed) -> str:
    if not exc.transient:
        return _finish(runtime, row_id, "failed", str(exc))
    with session_scope(runtime.db_url) as session:
        attempts = platform_rows.note_platform_attempt(session, row_id, str(exc))
    if attempts >= MAX_FETCH_ATTEMPTS:
        return _finish(runtime, row_id, "failed", f"gave up after {attempts} attempts: {exc}")
    log.warning("%s fetch failed, will retry: %s", platform, exc)
    raise TransientError(str(exc))


def _finish(runtime: Core, row_id: int, status: str, outcome: str) -> str:
    with session_scope(runtime.db_url) as session:
        platform_rows.finish_platform_notification(
            session, row_id, status, outcome, runtime.clock()
        )
    return status


def fetch_inline(runtime: Core, row_id: int) -> str | None:
    """The embedded mode's task: a transient failure leaves the row waiting for the sweep."""
    try:
        return fetch_and_ingest(runtime, row_id)
    except TransientError:
        return None


def sweep_platform_notifications(runtime: Core, now: datetime) -> int:
    """Hand notifications still waiting long after they were handed over to the broker again:
    their fetch failed for now (the embedded mode does not retry by itself) or the broker
    lost them."""
    with session_scope(runtime.db_url) as session:
        ids = platform_rows.claim_waiting_platform_notifications(
            session, now - FETCH_GRACE, now, 200
        )
    for row_id in ids:
        runtime.dispatcher.send(ports.PLATFORM_FETCH, row_id)
    return len(ids)
