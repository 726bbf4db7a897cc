"""`GET /handoffs` and `POST /handoffs/{id}/close`: conversations waiting for a person.

They show customers' words and phone numbers: when NOTIFIER_OPS_TOKEN is set they need it as
`Authorization: Bearer <token>` (like the ops page); without it they are open, like the
message timelines.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request

from notifier.care import handoffs
from notifier.workers.runtime import Runtime


def _checked(runtime: Runtime, request: Request) -> Runtime:
    token = runtime.settings.ops_token
    if token is None:
        return runtime
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given, token.get_secret_value()):
        raise HTTPException(
            401, detail=[{"field": "Authorization", "reason": "ops token required"}]
        )
    return runtime


def handoffs_router(current: Callable[[], Runtime]) -> APIRouter:
    """The /handoffs endpoints, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/handoffs", tags=["handoffs"])

    @router.get("")
    def list_handoffs(
        request: Request, status: Literal["open", "closed"] | None = None
    ) -> list[dict[str, Any]]:
        """Conversations for a person (priority first, newest first); `?status=open` for the
        ones still waiting."""
        runtime = _checked(current(), request)
        listed = handoffs.records(runtime.db_url, only_open=status == "open")
        return [h for h in listed if status is None or h["status"] == status]

    @router.post("/{handoff_id}/close")
    def close_handoff(request: Request, handoff_id: int) -> dict[str, Any]:
        """Close a conversation (again: no change); marketing held for the customer goes out."""
        runtime = _checked(current(), request)
        try:
            return handoffs.close(runtime, handoff_id)
        except handoffs.HandoffNotFound as exc:
            raise HTTPException(404, detail=[{"field": "id", "reason": str(exc)}]) from None

    return router
