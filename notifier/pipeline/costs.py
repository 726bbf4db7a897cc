"""A sent message's estimated cost, written with its outcome (`decide/prices.py` prices it)."""

from __future__ import annotations

from typing import Any

from notifier import metrics
from notifier.decide.compensation import shown_coupon
from notifier.decide.policy import Policy
from notifier.decide.prices import Sent, estimate
from notifier.decide.routing import Route
from notifier.messages.compose import Draft
from notifier.messages.segments import count_segments
from notifier.vocabulary import Channel


def cost_values(
    policy: Policy, draft: Draft, route: Route, body: str, content_sid: str | None
) -> dict[str, Any]:
    """The columns of a sent message's cost, and the coupon it gave. Priced as the channel it
    was written for: a console standing in for SMS is estimated as the SMS it would have been."""
    channel, kind = route.template_channel, draft.kind
    segments = count_segments(body).segments if channel is Channel.SMS else None
    sent = Sent(
        channel, route.recipient, segments, content_sid is not None, policy.category_of(kind)
    )
    found = estimate(policy.prices, sent)
    coupon = shown_coupon(kind, draft.context)
    return {"segments": segments, "country": found.country, "cost_usd": found.cost_usd,
            "coupon_code": coupon.upper() if coupon else None}  # fmt: skip


def count_cost(values: dict[str, Any]) -> None:
    """The estimated cost counter, by channel and country (a sent message's outcome values)."""
    cost = values.get("cost_usd")
    if cost is not None:
        channel = str(values.get("rendered_for") or values.get("channel"))
        metrics.COST_USD.labels(channel, values.get("country") or "none").inc(float(cost))
