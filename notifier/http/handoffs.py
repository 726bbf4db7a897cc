"""`GET /handoffs` and `POST /handoffs/{id}/close`: conversations waiting for a person.

They show customers' words and phone numbers: they need NOTIFIER_OPS_TOKEN as
`Authorization: Bearer <token>` (CONTRACT §6); with the setting unset they are closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request

from notifier.care import handoffs
from notifier.http.auth import UNAUTHORIZED, require_ops
from notifier.http.openapi import problems
from notifier.http.ops import MAX_ID
from notifier.workers.runtime import Runtime


def handoffs_router(current: Callable[[], Runtime]) -> APIRouter:
    """The /handoffs endpoints, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/handoffs", tags=["handoffs"], responses=UNAUTHORIZED)

    @router.get("")
    def list_handoffs(
        request: Request, status: Literal["open", "closed"] | None = None
    ) -> list[dict[str, Any]]:
        """Conversations for a person (priority first, newest first); `?status=open` for the
        ones still waiting."""
        runtime = require_ops(current(), request)
        listed = handoffs.records(runtime.db_url, only_open=status == "open")
        return [h for h in listed if status is None or h["status"] == status]

    @router.post("/{handoff_id}/close", responses=problems(404))
    def close_handoff(
        request: Request, handoff_id: Annotated[int, Path(ge=1, le=MAX_ID)]
    ) -> dict[str, Any]:
        """Close a conversation (again: no change); marketing held for the customer goes out."""
        runtime = require_ops(current(), request)
        try:
            return handoffs.close(runtime, handoff_id)
        except handoffs.HandoffNotFound as exc:
            raise HTTPException(404, detail=[{"field": "id", "reason": str(exc)}]) from None

    return router
