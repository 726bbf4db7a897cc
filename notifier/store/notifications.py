"""The notifications table: planned messages inserted, claimed, sent, recorded, re-timed,
canceled, deferred, reconciled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from notifier.decide.followups import Cancel
from notifier.decide.playbook import Plan
from notifier.store import fresh, shop_webhooks
from notifier.store.models import (
    Notification,
)
from notifier.vocabulary import MARKETING_KINDS, Kind, NotificationStatus

PENDING = (NotificationStatus.SCHEDULED, NotificationStatus.QUEUED)


# The hot path's statements use the table (Core): no ORM bookkeeping for rows nobody holds.
_NOTIFICATIONS = cast(Table, Notification.__table__)


def insert_notifications(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert planned messages; a dedup key already taken is skipped. The new rows' ids."""
    fresh.planned(session, rows)
    statement = _insert_notification(session.get_bind().dialect.name)
    ids = []
    for row in rows:
        new_id = session.execute(statement, row).scalar_one_or_none()
        if new_id is not None:
            ids.append(new_id)
    return ids


@cache
def _insert_notification(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_NOTIFICATIONS).on_conflict_do_nothing().returning(_NOTIFICATIONS.c.id)


def claim_notification(
    session: Session, notification_id: int, now: datetime, unless_after: datetime | None = None
) -> Notification | None:
    """Take a due, queued message for sending, in one statement; None when someone else has
    it or it is not due. With `unless_after`, also None while an earlier message of its order
    waits (as `earlier_unsent_of_order` counts them, busy since `unless_after`).

    The message comes back detached (the row as claimed): reading it costs no second query."""
    statement = _CLAIM if unless_after is None else _CLAIM_FIRST_OF_ORDER
    parameters = {"notification_id": notification_id, "now": now, "busy_since": unless_after}
    row = session.execute(statement, parameters).one_or_none()
    return None if row is None else Notification(**row._mapping)


def record_outcome(
    session: Session,
    notification_id: int,
    claim: int,
    status: NotificationStatus,
    values: dict[str, Any],
) -> bool:
    """Write how a send ended, only over our own claim: the row still `sending` and still
    holding `claim` (its `claim_token` when we took it). False when it holds another claim
    (the reconciler or another sender took it over): nothing was written."""
    parameters = {"notification_id": notification_id, "claim": claim, "new_status": status}
    if any(isinstance(value, ClauseElement) for value in values.values()):
        statement = _outcome_statement(values)  # rare: not worth caching
    else:
        parameters |= {f"new_{name}": value for name, value in values.items()}
        statement = _cached_outcome(tuple(sorted(values)))
    if recorded := _one_row(session.execute(statement, parameters)):
        shop_webhooks.tell_statuses(session, {notification_id: status})
    return recorded


def _one_row(result: Any) -> bool:
    return int(result.rowcount) == 1


@cache
def _cached_outcome(names: tuple[str, ...]) -> Any:
    """The statement for this set of columns, built once."""
    return _outcome_statement({name: bindparam(f"new_{name}") for name in names})


def _outcome_statement(values: dict[str, Any]) -> Any:
    return (
        update(_NOTIFICATIONS)
        .where(
            _NOTIFICATIONS.c.id == bindparam("notification_id"),
            _NOTIFICATIONS.c.status == NotificationStatus.SENDING,
            _NOTIFICATIONS.c.claim_token == bindparam("claim"),
        )
        .values(status=bindparam("new_status"), **values)
    )


def start_provider_call(session: Session, notification_id: int, claim: int, now: datetime) -> bool:
    """Write down, over our own claim, that the provider is about to be called; False when the
    claim was taken over meanwhile: the caller must not call the provider."""
    parameters = {"notification_id": notification_id, "claim": claim, "now": now}
    return _one_row(session.execute(_START_PROVIDER_CALL, parameters))


def messages_query(order_id: str | None = None, customer_id: str | None = None) -> Select[Any]:
    """Messages, optionally of one order or one customer, in the order they were planned."""
    query = select(Notification).order_by(Notification.due_at, Notification.id)
    if order_id is not None:
        query = query.where(Notification.order_id == order_id)
    if customer_id is not None:
        query = query.where(Notification.customer_id == customer_id)
    return query


def list_messages(
    session: Session, order_id: str | None = None, customer_id: str | None = None
) -> list[Notification]:
    """The messages asked for, oldest first."""
    return list(session.execute(messages_query(order_id, customer_id)).scalars())


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Move due scheduled messages to queued and return their ids (skipping locked rows)."""
    due = (
        select(Notification.id)
        .where(Notification.status == NotificationStatus.SCHEDULED, Notification.due_at <= now)
        .order_by(Notification.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(status=NotificationStatus.QUEUED, updated_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.execute(statement).scalars())


def earlier_unsent_of_order(
    session: Session, notification_id: int, now: datetime, busy_since: datetime
) -> list[tuple[int, NotificationStatus]]:
    """Due messages of the same order planned before this one and not out yet, oldest first.

    A `sending` row counts only when it was claimed after `busy_since`: an older claim belongs
    to a sender that died, and must not hold the order's later messages back.
    """
    parameters = {"notification_id": notification_id, "now": now, "busy_since": busy_since}
    return [(row.id, row.status) for row in session.execute(_EARLIER_OF_ORDER, parameters)]


# The delivery's statements, built once: they run for every message.
_EARLIER = _NOTIFICATIONS.alias("earlier")


def _earlier_waiting(order_id: Any) -> Select[int, NotificationStatus]:
    return select(_EARLIER.c.id, _EARLIER.c.status).where(
        _EARLIER.c.order_id == order_id,
        _EARLIER.c.id < bindparam("notification_id"),
        _EARLIER.c.due_at <= bindparam("now"),
        (_EARLIER.c.status == NotificationStatus.QUEUED)
        | (
            (_EARLIER.c.status == NotificationStatus.SENDING)
            & (_EARLIER.c.updated_at > bindparam("busy_since"))
        ),
    )


_EARLIER_OF_ORDER = _earlier_waiting(
    select(_NOTIFICATIONS.c.order_id)
    .where(_NOTIFICATIONS.c.id == bindparam("notification_id"))
    .scalar_subquery()
).order_by(_EARLIER.c.id)


_CLAIM = (
    update(_NOTIFICATIONS)
    .where(
        _NOTIFICATIONS.c.id == bindparam("notification_id"),
        _NOTIFICATIONS.c.status == NotificationStatus.QUEUED,
        _NOTIFICATIONS.c.due_at <= bindparam("now"),
    )
    .values(
        status=NotificationStatus.SENDING,
        attempts=_NOTIFICATIONS.c.attempts + 1,
        claim_token=_NOTIFICATIONS.c.claim_token + 1,
        provider_called_at=None,
        updated_at=bindparam("now"),
    )
    .returning(*_NOTIFICATIONS.c)
)


# Also a sign of life: the reconciler waits its grace from the call's start, not the claim's.
_START_PROVIDER_CALL = (
    update(_NOTIFICATIONS)
    .where(
        _NOTIFICATIONS.c.id == bindparam("notification_id"),
        _NOTIFICATIONS.c.status == NotificationStatus.SENDING,
        _NOTIFICATIONS.c.claim_token == bindparam("claim"),
    )
    .values(provider_called_at=bindparam("now"), updated_at=bindparam("now"))
)


_CLAIM_FIRST_OF_ORDER = _CLAIM.where(~_earlier_waiting(_NOTIFICATIONS.c.order_id).exists())


def already_sent_on(session: Session, notification: Notification) -> bool:
    """True when another message of the same kind and order already went on its only channel."""
    query = select(Notification.id).where(
        Notification.order_id == notification.order_id,
        Notification.kind == notification.kind,
        Notification.id != notification.id,
        Notification.channel == notification.only_channel,
        Notification.status.in_((NotificationStatus.SENT, NotificationStatus.DELIVERED)),
    )
    return session.execute(query.limit(1)).first() is not None


def notification_by_provider_id(session: Session, sid: str) -> Notification | None:
    """The message the provider knows by this id, locked for update."""
    query = select(Notification).where(Notification.provider_message_id == sid)
    return session.execute(query.with_for_update()).scalar_one_or_none()


def claim_stale_sending(session: Session, cutoff: datetime, now: datetime, limit: int) -> list[Any]:
    """Take over `sending` rows untouched since `cutoff`: each gets a claim of its own (its
    new `claim_token`, which the rows come back with), so that the sender that left it can no
    longer start a provider call or write an outcome, and no other scheduler takes it during
    this pass. `provider_called_at` is read in the same statement that takes the claim."""
    stale = (
        select(Notification.id)
        .where(
            Notification.status == NotificationStatus.SENDING,
            Notification.updated_at < cutoff,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Notification)
        .where(Notification.id.in_(stale.scalar_subquery()))
        .values(updated_at=now, claim_token=Notification.claim_token + 1)
        .returning(
            Notification.id,
            Notification.claim_token,
            Notification.channel,
            Notification.recipient,
            Notification.body,
            Notification.history,
            Notification.customer_id,
            Notification.provider_called_at,
        )
        .execution_options(synchronize_session=False)
    )
    return list(session.execute(statement))


def claim_forgotten_queued(
    session: Session, cutoff: datetime, now: datetime, limit: int
) -> list[int]:
    """Due `queued` rows untouched since `cutoff` (their broker message may be lost)."""
    ids = list(
        session.execute(
            select(Notification.id)
            .where(
                Notification.status == NotificationStatus.QUEUED,
                Notification.updated_at < cutoff,
                Notification.due_at <= now,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    _touch(session, ids, now)
    return ids


def _touch(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )


def mark_sent(
    session: Session,
    notification_id: int,
    claim: int,
    provider_id: str | None,
    now: datetime,
    route: dict[str, Any] | None = None,
) -> bool:
    """The provider had taken the message after all (`route`: its channel and recipient);
    False when the row no longer holds `claim`."""
    return record_outcome(
        session,
        notification_id,
        claim,
        NotificationStatus.SENT,
        {"provider_message_id": provider_id, "sent_at": now, "error": None, "updated_at": now}
        | (route or {}),
    )


def requeue(session: Session, notification_id: int, claim: int, now: datetime) -> bool:
    """Hand a `sending` row back to the queue (the provider never got it); False when the row
    no longer holds `claim`."""
    values = {"updated_at": now}
    return record_outcome(session, notification_id, claim, NotificationStatus.QUEUED, values)


def cancel_pending(session: Session, cancel: Cancel, event_id: str, now: datetime) -> int:
    """Cancel the pending messages a rule names; how many."""
    scopes = {
        "order_id": cancel.order_id,
        "cart_id": cancel.cart_id,
        "customer_id": cancel.customer_id,
    }
    named = {f"scope_{name}": value for name, value in scopes.items() if value is not None}
    if not named or fresh.nothing_in(session, {k: v for k, v in scopes.items() if v}):
        return 0
    parameters = {"canceling_event": event_id, "now": now}
    statement = _cancel(tuple(sorted(named)), tuple(sorted(cancel.kinds)))
    result = session.execute(statement, parameters | named)
    return int(result.rowcount)  # type: ignore[attr-defined]


@cache
def _cancel(scopes: tuple[str, ...], kinds: tuple[Kind, ...]) -> Any:
    """Built once per scope and kinds (a handful of each: the rules name them)."""
    return (
        update(_NOTIFICATIONS)
        .where(
            _NOTIFICATIONS.c.status.in_(PENDING),
            _NOTIFICATIONS.c.kind.in_(kinds),
            *[_NOTIFICATIONS.c[name.removeprefix("scope_")] == bindparam(name) for name in scopes],
        )
        .values(
            status=NotificationStatus.CANCELED,
            canceled_by=bindparam("canceling_event"),
            updated_at=bindparam("now"),
        )
    )


def move_scheduled(
    session: Session, key: str, due_at: datetime, context: dict[str, Any], now: datetime
) -> None:
    """A pending scheduled message takes a new due time and facts (a cart changed again)."""
    session.execute(
        update(Notification)
        .where(Notification.dedup_key == key, Notification.status == NotificationStatus.SCHEDULED)
        .values(due_at=due_at, context=context, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def marketing_sent_since(
    session: Session, customer_id: str, since: datetime, sequence_cart_id: str | None
) -> list[datetime]:
    """When the customer's marketing messages went out since `since`, leaving out the other
    steps of the same cart sequence (they are spaced by their own delays)."""
    query = select(Notification.sent_at).where(
        Notification.customer_id == customer_id,
        Notification.kind.in_(MARKETING_KINDS),
        Notification.sent_at > since,
    )
    if sequence_cart_id is not None:
        query = query.where(
            (Notification.cart_id.is_(None)) | (Notification.cart_id != sequence_cart_id)
        )
    return [moment for moment in session.execute(query).scalars() if moment is not None]


# An outcome's `attempts` when the claim only found the message too early (quiet hours, the
# frequency cap, a rate-limit slot far off): that claim does not count against the retries.
NOT_AN_ATTEMPT = Notification.attempts - 1


def defer(
    session: Session, notification_id: int, claim: int, due_at: datetime, why: str, now: datetime
) -> bool:
    """Put a claimed message back on the schedule for later (over our own claim)."""
    return record_outcome(
        session,
        notification_id,
        claim,
        NotificationStatus.SCHEDULED,
        {"due_at": due_at, "error": why, "updated_at": now, "attempts": NOT_AN_ATTEMPT},
    )


def provider_ids_of_customer(session: Session, customer_id: str) -> frozenset[str]:
    """The provider ids of every message recorded for this customer."""
    query = select(Notification.provider_message_id).where(
        Notification.customer_id == customer_id, Notification.provider_message_id.is_not(None)
    )
    return frozenset(sid for sid in session.execute(query).scalars() if sid)


def append_history(
    session: Session, notification_id: int, claim: int, entry: dict[str, Any]
) -> bool:
    """Add an entry to a message's history (the reconciler's findings) while it still holds
    `claim`; False when it does not (nothing added)."""
    notification = session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.claim_token != claim:
        return False
    notification.history = [*(notification.history or []), entry]
    return True


def scheduled_backlog(session: Session, now: datetime) -> tuple[int, int]:
    """Scheduled messages waiting: (all of them, those already due)."""
    scheduled = Notification.status == NotificationStatus.SCHEDULED
    waiting = session.execute(select(func.count()).where(scheduled)).scalar_one()
    due = session.execute(
        select(func.count()).where(scheduled, Notification.due_at <= now)
    ).scalar_one()
    return waiting, due


def insert_planned(
    session: Session, plans: list[Plan], rows: list[dict[str, Any]], now: datetime
) -> list[int]:
    """Insert the rows (a taken dedup key is skipped; a moving plan re-times its pending row);
    the ids of the new rows due now."""
    due_now = []
    for plan, row in zip(plans, rows, strict=True):
        new_ids = insert_notifications(session, [row])
        if not new_ids and plan.moves:
            move_scheduled(session, plan.dedup_key, plan.due_at, row["context"], now)
        if new_ids and row["status"] is NotificationStatus.QUEUED:
            due_now += new_ids
    return due_now
