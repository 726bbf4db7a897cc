"""The report's figures on care: satisfaction scores given in the period (count, average, the
share of 3 or less, each score's count) and the conversations handed to a person (opened,
closed, the time to close, and how many were closed by the answer-by time they were told)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from notifier.decide.choices import LOW_SCORE
from notifier.store.models import CustomerChoice, Handoff
from notifier.store.period import Period, minutes_between

SCORES = range(1, 6)


def csat(session: Session, period: Period) -> dict[str, Any]:
    """The satisfaction scores given in the period."""
    query = (
        select(CustomerChoice.score, func.count())
        .where(CustomerChoice.score.is_not(None), period.holds(CustomerChoice.at))
        .group_by(CustomerChoice.score)
    )
    counts = {score: 0 for score in SCORES}
    for score, count in session.execute(query):
        counts[int(score or 0)] += int(count)
    total = sum(counts.values())
    low = sum(count for score, count in counts.items() if score <= LOW_SCORE)
    average = sum(score * count for score, count in counts.items()) / total if total else None
    return {
        "count": total,
        "average": round(average, 2) if average is not None else None,
        "low_share": round(low / total, 4) if total else None,
        "distribution": {str(score): count for score, count in counts.items()},
    }


def handoffs(session: Session, period: Period) -> dict[str, Any]:
    """Conversations opened and closed in the period, and how fast they were closed."""
    dialect = session.get_bind().dialect.name
    opened = session.execute(select(func.count()).where(period.holds(Handoff.opened_at)))
    minutes = minutes_between(Handoff.opened_at, Handoff.closed_at, dialect)
    in_time = func.sum(case((Handoff.closed_at <= Handoff.reply_by, 1), else_=0))
    closed, average, longest, on_time = session.execute(
        select(func.count(), func.avg(minutes), func.max(minutes), in_time).where(
            Handoff.closed_at.is_not(None), period.holds(Handoff.closed_at)
        )
    ).one()
    return {
        "opened": int(opened.scalar_one()),
        "closed": int(closed),
        "average_minutes_to_close": _minutes(average),
        "longest_minutes_to_close": _minutes(longest),
        "closed_by_answer_time": int(on_time or 0),
    }


def _minutes(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None
