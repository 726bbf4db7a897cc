"""Writes of a worker sending many messages at once: the provider calls' start for all of them
in one statement (`notifications.start_provider_call` for one), and their outcomes in one
statement per set of columns (`notifications.record_outcome` for one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from notifier.store import shop_webhooks
from notifier.store.many import (
    POSTGRESQL,
    insert_ignoring_conflicts,
    one_of,
    rows_parameter,
    rows_source,
)
from notifier.store.models import Notification
from notifier.store.notifications import record_outcome
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


Outcome = tuple[int, int, NotificationStatus, dict[str, Any]]  # id, claim, status, values


def record_outcomes(session: Session, outcomes: Sequence[Outcome]) -> set[int]:
    """Write how each send ended, only over its own claim; the ids written (the others hold
    another claim now). On PostgreSQL one statement per set of columns; elsewhere, and for
    values computed by the database, one per message."""
    dialect = session.get_bind().dialect.name
    recorded: set[int] = set()
    by_names: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for notification_id, claim, status, values in outcomes:
        computed = any(isinstance(value, ClauseElement) for value in values.values())
        if dialect != POSTGRESQL or computed:
            if record_outcome(session, notification_id, claim, status, values):
                recorded.add(notification_id)
            continue
        row = {"id": notification_id, "claim_token": claim, "status": status, **values}
        by_names.setdefault(tuple(sorted(values)), []).append(row)
    written: set[int] = set()
    for names, rows in by_names.items():
        statement = _record_outcomes(names)
        written.update(session.execute(statement, rows_parameter(rows, dialect)).scalars())
    shop_webhooks.tell_outcomes(session, outcomes, written)  # one by one: told by record_outcome
    return recorded | written


@cache
def _record_outcomes(names: tuple[str, ...]) -> Any:
    """UPDATE … FROM the rows given as one JSON parameter, over each row's own claim."""
    given = rows_source(_NOTIFICATIONS, ("id", "claim_token", "status", *names)).subquery("given")
    return (
        update(_NOTIFICATIONS)
        .where(
            _NOTIFICATIONS.c.id == given.c.id,
            _NOTIFICATIONS.c.status == NotificationStatus.SENDING,
            _NOTIFICATIONS.c.claim_token == given.c.claim_token,
        )
        .values({name: given.c[name] for name in ("status", *names)})
        .returning(_NOTIFICATIONS.c.id)
    )


def insert_claimed(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert messages (already claimed) in one statement per set of columns, in order; the new
    rows' ids by dedup key (a dedup key taken already is skipped)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    ids: dict[str, int] = {}
    for same in by_columns.values():
        for new_id, key in insert_ignoring_conflicts(
            session, _NOTIFICATIONS, same, ("id", "dedup_key")
        ):
            ids[key] = new_id
    return ids
