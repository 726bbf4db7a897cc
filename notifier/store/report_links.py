"""The report's clicks: how often the short links of the period's messages were followed,
per kind and channel (a click counts with its message, in the period the message counts in,
when it came before the period's end)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from notifier.store.models import LinkClick, Notification
from notifier.store.period import Period
from notifier.store.report_messages import CHANNEL, WHEN

Key = tuple[str, str | None]


def clicks_by_kind_and_channel(session: Session, period: Period) -> dict[Key, tuple[int, int]]:
    """(kind, channel) → (clicks, messages clicked at least once)."""
    query = (
        select(Notification.kind, CHANNEL, func.count(), func.count(distinct(Notification.id)))
        .join(LinkClick, LinkClick.notification_id == Notification.id)
        .where(period.holds(WHEN), LinkClick.clicked_at < period.until)
        .group_by(Notification.kind, CHANNEL)
    )
    return {
        (str(kind), str(channel) if channel else None): (int(clicks), int(clicked))
        for kind, channel, clicks, clicked in session.execute(query)
    }


def with_clicks(session: Session, period: Period, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Each kind and channel row gains `clicks` and `messages_clicked`; the totals."""
    clicks = clicks_by_kind_and_channel(session, period)
    for row in rows:
        row["clicks"], row["messages_clicked"] = clicks.get((row["kind"], row["channel"]), (0, 0))
    return {
        "clicks": sum(row["clicks"] for row in rows),
        "messages_clicked": sum(row["messages_clicked"] for row in rows),
    }
