"""The shops' platforms: webhooks that carry ids only, kept until fetched, and the last
status seen of each platform order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from notifier.store.events import claim_handed_over_before
from notifier.store.models import (
    PlatformNotification,
    PlatformOrderState,
)
from notifier.store.upserts import insert_ignoring_conflicts
from notifier.vocabulary import utcnow


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
    return claim_handed_over_before(session, PlatformNotification, waiting, cutoff, now, limit)


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
