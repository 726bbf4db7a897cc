"""Planned messages inserted many at a time: what `notifications.insert_planned` does row by
row, in one multi-row `INSERT … ON CONFLICT DO NOTHING … RETURNING` (`store/many.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from notifier.decide.playbook import Plan
from notifier.store.many import insert_ignoring_conflicts
from notifier.store.models import Notification
from notifier.store.notifications import move_scheduled
from notifier.vocabulary import NotificationStatus

_NOTIFICATIONS = cast(Table, Notification.__table__)


def insert_planned_many(
    session: Session, plans: Sequence[Plan], rows: Sequence[dict[str, Any]], now: datetime
) -> list[int]:
    """Insert the rows in one statement (a taken dedup key is skipped; a moving plan re-times
    its pending row, one statement each: rare); the ids of the new rows due now, in the order
    of `rows`. Every row must have the same columns (`planning.notification_row`'s)."""
    if len(plans) != len(rows):
        raise ValueError("one row per plan")
    if not rows:
        return []
    returned = insert_ignoring_conflicts(session, _NOTIFICATIONS, rows, ("id", "dedup_key"))
    inserted = {key: new_id for new_id, key in returned}
    due_now = []
    for plan, row in zip(plans, rows, strict=True):
        new_id = inserted.pop(row["dedup_key"], None)  # a key twice in `rows`: the first wins
        if new_id is None:
            if plan.moves:
                move_scheduled(session, plan.dedup_key, plan.due_at, row["context"], now)
        elif row["status"] is NotificationStatus.QUEUED:
            due_now.append(new_id)
    return due_now
