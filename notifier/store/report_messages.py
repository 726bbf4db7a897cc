"""The report's figures on the messages themselves: how many of each kind and channel ended
how, what they cost, and per day. A message counts in the period it was sent in, or, never
sent, in the period it was due in. Its channel is the one it was written for (a console
standing in for SMS counts as SMS). Each figure is one aggregate query."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from notifier.store.models import Notification
from notifier.store.period import Period, day_of
from notifier.vocabulary import NotificationStatus

N = Notification
REACHED = (NotificationStatus.SENT, NotificationStatus.DELIVERED)
CHANNEL = func.coalesce(N.rendered_for, N.channel, N.only_channel)
WHEN = func.coalesce(N.sent_at, N.due_at)


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def by_kind_and_channel(session: Session, period: Period) -> list[dict[str, Any]]:
    """One row per kind and channel: sent (reached the provider), delivered, failed, skipped,
    canceled, segments, estimated cost, and the sent messages the price table does not price."""
    query = (
        select(
            N.kind,
            CHANNEL.label("channel"),
            _count_if(N.status.in_(REACHED)),
            _count_if(N.status == NotificationStatus.DELIVERED),
            _count_if(N.status == NotificationStatus.FAILED),
            _count_if(N.status == NotificationStatus.SKIPPED),
            _count_if(N.status == NotificationStatus.CANCELED),
            func.sum(N.segments),
            func.sum(N.cost_usd),
            _count_if(N.status.in_(REACHED) & N.cost_usd.is_(None)),
        )
        .where(period.holds(WHEN))
        .group_by(N.kind, CHANNEL)
        .order_by(N.kind, CHANNEL)
    )
    names = ("sent", "delivered", "failed", "skipped", "canceled", "segments")
    rows = []
    for kind, channel, *counts, cost, unpriced in session.execute(query):
        row: dict[str, Any] = {"kind": str(kind), "channel": str(channel) if channel else None}
        row |= {name: int(value or 0) for name, value in zip(names, counts, strict=True)}
        rows.append(row | {"cost_usd": money(cost), "unpriced": int(unpriced or 0)})
    return rows


def cost_by_country(session: Session, period: Period) -> list[dict[str, Any]]:
    """The estimated cost of the messages sent, per channel and destination country."""
    query = (
        select(CHANNEL, N.country, func.count(), func.sum(N.cost_usd))
        .where(period.holds(N.sent_at), N.status.in_(REACHED))
        .group_by(CHANNEL, N.country)
        .order_by(CHANNEL, N.country)
    )
    return [
        {"channel": str(channel), "country": country, "sent": int(count),
         "cost_usd": money(cost)}
        for channel, country, count, cost in session.execute(query)
    ]  # fmt: skip


def per_day(session: Session, period: Period) -> list[dict[str, Any]]:
    """Per day (UTC), channel and status: messages and their estimated cost."""
    day = day_of(WHEN, session.get_bind().dialect.name)
    query = (
        select(day, CHANNEL, N.status, func.count(), func.sum(N.cost_usd))
        .where(period.holds(WHEN))
        .group_by(day, CHANNEL, N.status)
        .order_by(day, CHANNEL, N.status)
    )
    return [
        {"day": str(on), "channel": str(channel) if channel else None, "status": str(status),
         "messages": int(count), "cost_usd": money(cost)}
        for on, channel, status, count, cost in session.execute(query)
    ]  # fmt: skip


def money(value: Decimal | float | int | None) -> str:
    """An amount as exact decimal text (USD to the cent's hundredth: six places kept)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.000001")))
