"""`GET /report`: what the messages cost and earned for a period (CONTRACT §6). It tells how
customers answered and what they bought: it needs NOTIFIER_OPS_TOKEN."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from notifier.http.auth import UNAUTHORIZED, require_ops
from notifier.http.openapi import problems
from notifier.store.report import PeriodError, default_period, report_over
from notifier.workers.runtime import Runtime


def report_router(current: Callable[[], Runtime]) -> APIRouter:
    """The /report endpoint, bound to the runtime getter of the app."""
    router = APIRouter(tags=["report"], responses=UNAUTHORIZED)

    @router.get("/report", responses=problems(422))
    def report(
        request: Request, since: datetime | None = None, until: datetime | None = None
    ) -> dict[str, Any]:
        """Per kind and channel: sent, delivered, failed, skipped and estimated cost (USD);
        carts recovered, coupons redeemed, win-backs converted, reviews, delay choices, CSAT
        and handoff times. `since` and `until` are ISO times with an offset (default: the
        last 7 days)."""
        runtime = require_ops(current(), request)
        return report_for(runtime, since, until)

    return router


def report_for(runtime: Runtime, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """The report document for the period asked (default: the last 7 days ending now); a time
    without its UTC offset, or a period that ends before it starts, is a 422."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            problem = {"field": name, "reason": "needs a UTC offset, e.g. 2026-11-20T15:00Z"}
            raise HTTPException(422, detail=[problem])
    try:
        period = default_period(runtime.clock(), since, until)
    except PeriodError as exc:
        raise HTTPException(422, detail=[{"field": "since", "reason": str(exc)}]) from None
    return report_over(runtime.db_url, runtime.policy, period)
