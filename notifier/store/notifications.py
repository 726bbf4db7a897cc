"""Planned messages into rows: a taken dedup key is skipped, a moving plan re-times its row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier.decide.playbook import Plan
from notifier.store.queries import insert_notifications, move_scheduled
from notifier.vocabulary import NotificationStatus


def insert_planned(
    session: Session, plans: list[Plan], rows: list[dict[str, Any]], now: datetime
) -> list[int]:
    """Insert the rows (a taken dedup key is skipped; a moving plan re-times its pending row);
    the ids of the new rows due now."""
    due_now = []
    for plan, row in zip(plans, rows, strict=True):
        new_ids = insert_notifications(session, [row])
        if not new_ids and plan.moves:
            move_scheduled(session, plan.dedup_key, plan.due_at, row["context"], now)
        if new_ids and row["status"] is NotificationStatus.QUEUED:
            due_now += new_ids
    return due_now
