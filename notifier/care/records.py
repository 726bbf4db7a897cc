"""A handoff as the API, the CLI, the ops page and the support webhook show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifier.store.models import Handoff


def record(handoff: Handoff) -> dict[str, Any]:
    """The conversation, who it is with, their recent orders and our last messages."""
    context = handoff.context or {}
    return {
        "id": handoff.id,
        "status": str(handoff.status),
        "priority": handoff.priority,
        "reason": handoff.reason,
        "customer_id": handoff.customer_id,
        "channel": handoff.channel,
        "from": handoff.address,
        "messages": handoff.messages or [],
        "customer": context.get("customer"),
        "orders": context.get("orders", []),
        "last_messages": context.get("last_messages", []),
        "reply_by": _iso(handoff.reply_by),
        "opened_at": _iso(handoff.opened_at),
        "closed_at": _iso(handoff.closed_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
