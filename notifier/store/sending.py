"""Writes of a worker sending many messages at once: the provider calls' start for all of them
in one statement (`notifications.start_provider_call` for one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from notifier.store.many import one_of
from notifier.store.models import Notification
from notifier.vocabulary import NotificationStatus

_NOTIFICATIONS = cast(Table, Notification.__table__)


def start_provider_calls(
    session: Session, claims: Sequence[tuple[int, int]], now: datetime
) -> set[int]:
    """Write down, over each message's own claim (id, claim), that the provider is about to be
    called: one statement per claim token (the messages a worker claimed as it planned them
    share one). The ids whose claim held; the others must not be sent."""
    by_claim: dict[int, list[int]] = {}
    for notification_id, claim in claims:
        by_claim.setdefault(claim, []).append(notification_id)
    started: set[int] = set()
    for claim, ids in by_claim.items():
        parameters = {"ids": ids, "claim": claim, "now": now}
        statement = _start_provider_calls(session.get_bind().dialect.name)
        started.update(session.execute(statement, parameters).scalars())
    return started


# Also a sign of life: the reconciler waits its grace from the call's start, not the claim's.
@cache
def _start_provider_calls(dialect: str) -> Any:
    return (
        update(_NOTIFICATIONS)
        .where(
            one_of(_NOTIFICATIONS.c.id, "ids", dialect),
            _NOTIFICATIONS.c.status == NotificationStatus.SENDING,
            _NOTIFICATIONS.c.claim_token == bindparam("claim"),
        )
        .values(provider_called_at=bindparam("now"), updated_at=bindparam("now"))
        .returning(_NOTIFICATIONS.c.id)
    )
