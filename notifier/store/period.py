"""Time arithmetic inside a query, on both dialects: a moment within a window after another,
the minutes between two, the day of a moment (UTC). SQLite keeps datetimes as text, so it
reckons in Julian days; PostgreSQL in intervals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Interval, and_, func, literal

from notifier.store.many import POSTGRESQL

SECONDS_A_DAY = 86400


@dataclass(frozen=True)
class Period:
    """From `since` (included) to `until` (excluded)."""

    since: datetime
    until: datetime

    def holds(self, column: Any) -> ColumnElement[bool]:
        """The column's moment is in the period."""
        return and_(column >= self.since, column < self.until)


def within(later: Any, earlier: Any, window: timedelta, dialect: str) -> ColumnElement[bool]:
    """`later` comes after `earlier`, by at most `window`."""
    if dialect == POSTGRESQL:
        return and_(later > earlier, later <= earlier + literal(window, Interval()))
    days = window.total_seconds() / SECONDS_A_DAY
    return and_(later > earlier, func.julianday(later) <= func.julianday(earlier) + days)


def minutes_between(earlier: Any, later: Any, dialect: str) -> Any:
    """The minutes from `earlier` to `later`."""
    if dialect == POSTGRESQL:
        return func.extract("epoch", later - earlier) / 60
    return (func.julianday(later) - func.julianday(earlier)) * 1440


def day_of(column: Any, dialect: str) -> Any:
    """The moment's day in UTC, as `YYYY-MM-DD` text."""
    if dialect == POSTGRESQL:
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)
