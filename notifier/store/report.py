"""What the messages cost and what they earned, for a period (CONTRACT §6 `notifier report`,
`GET /report`): a JSON-ready document, computed with a few aggregate queries, never by loading
the messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from notifier.decide.policy import Policy
from notifier.errors import NotifierError
from notifier.store import report_care, report_links, report_messages, report_value
from notifier.store.db import session_scope
from notifier.store.period import Period
from notifier.store.report_messages import money

DEFAULT_DAYS = 7


class PeriodError(NotifierError):
    """A report period that ends before it starts."""


def default_period(now: datetime, since: datetime | None, until: datetime | None) -> Period:
    """The period asked for; the last seven days up to now by default."""
    end = until or now
    start = since or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise PeriodError(f"the period starts ({start.isoformat()}) at or after its end "
                          f"({end.isoformat()})")  # fmt: skip
    return Period(start, end)


def report_over(db_url: str, policy: Policy, period: Period) -> dict[str, Any]:
    """The report for the period, read in one transaction of its own."""
    with session_scope(db_url) as session:
        return build_report(session, policy, period)


def build_report(session: Session, policy: Policy, period: Period) -> dict[str, Any]:
    """The report for the period."""
    window = policy.report.attribution_window
    messages = report_messages.by_kind_and_channel(session, period)
    links = report_links.with_clicks(session, period, messages)
    return {
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "prices": {
            "currency": "USD",
            "as_of": policy.prices.as_of,
            "source": policy.prices.source,
        },
        "messages": messages,
        "cost": _cost(messages, report_messages.cost_by_country(session, period)),
        "per_day": report_messages.per_day(session, period),
        "links": links,
        "carts": report_value.carts(session, period, window),
        "coupons": report_value.coupons(session, period),
        "winback": report_value.winback(session, period, window),
        "reviews": report_value.reviews(session, period),
        "delays": report_value.delays(session, period),
        "csat": report_care.csat(session, period),
        "handoffs": report_care.handoffs(session, period)
        | {"answer_within_minutes": policy.support.response_time.total_seconds() / 60},
        "attribution_window_days": window.total_seconds() / 86400,
    }


def _cost(messages: list[dict[str, Any]], countries: list[dict[str, Any]]) -> dict[str, Any]:
    by_channel: dict[str, Decimal] = {}
    for row in messages:
        channel = row["channel"] or "none"
        by_channel[channel] = by_channel.get(channel, Decimal(0)) + Decimal(row["cost_usd"])
    total = sum(by_channel.values(), Decimal(0))
    return {
        "total_usd": money(total),
        "by_channel": {channel: money(cost) for channel, cost in sorted(by_channel.items())},
        "by_country": countries,
        "unpriced": sum(row["unpriced"] for row in messages),
    }
