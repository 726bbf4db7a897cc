"""The outbox of webhooks to the shop (`shop_webhooks`, CONTRACT §6): each row is written in
the transaction of what it tells, then claimed before each attempt, marked delivered, or put
off with backoff; its `webhook_id` never changes, so the shop can drop a second copy.

What writes them: `emit_customer_choice` (a customer's answer) and the writes of a message's
status (`tell_statuses`, `tell_outcomes`, `tell_canceled`, `tell_message`). The status writes
are handed nothing but a session, so the composition root says once, per database, that the
outbox is on and who delivers its new rows (`open_outbox`). With NOTIFIER_SHOP_WEBHOOK_URL
unset no outbox is open: the hooks return at once, no statement is run.

The rows a transaction stages go in one multi-row INSERT just before its commit (a batch of
events canceling many messages writes them all at once); their ids are handed to delivery
right after the commit. Should the hand-over fail, the scheduler's pass finds them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from notifier.config import Settings
from notifier.decide.followups import Cancel
from notifier.store.models import Notification, ShopWebhook
from notifier.vocabulary import NotificationStatus

log = logging.getLogger(__name__)

CUSTOMER_CHOICE = "customer.choice"
MESSAGE_STATUS = "message.status"
# What the shop hears of: where a message ends up, and `delivered` after `sent`. The steps of
# our own delivery (scheduled → queued → sending, and back for a retry or a deferral) are not
# told: they pass within seconds and change nothing the shop could act on.
TOLD = frozenset({NotificationStatus.SENT, NotificationStatus.DELIVERED,
                  NotificationStatus.FAILED, NotificationStatus.SKIPPED,
                  NotificationStatus.CANCELED})  # fmt: skip
# A row handed to delivery is looked at again by the scheduler this much later, should it not
# be delivered by then (a lost queue message); the scheduler hands it over again.
HANDED_OVER_FOR = timedelta(minutes=1)

HandOver = Callable[[list[int]], None]
_SHOP_WEBHOOKS = cast(Table, ShopWebhook.__table__)
_NOTIFICATIONS = cast(Table, Notification.__table__)
_STAGED = "shop_webhooks"  # the key of a session's staged rows in `session.info`
_OUTBOXES: dict[str, HandOver] = {}  # database URL → who delivers its new rows


def open_outbox(database_url: str, hand_over: HandOver) -> None:
    """Turn the outbox on for this database: status changes written to it are told to the
    shop, and `hand_over` gets the new rows' ids after each commit."""
    _OUTBOXES[_key(database_url)] = hand_over


def close_outbox(database_url: str) -> None:
    """Turn the outbox off for this database (NOTIFIER_SHOP_WEBHOOK_URL unset)."""
    _OUTBOXES.pop(_key(database_url), None)


def close_outboxes() -> None:
    """Turn every outbox off (between tests)."""
    _OUTBOXES.clear()


def _key(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=False)


def _outbox(session: Session) -> HandOver | None:
    if not _OUTBOXES:  # the outbox is off everywhere: the hot path pays this check only
        return None
    return _OUTBOXES.get(session.get_bind().engine.url.render_as_string(hide_password=False))


# Writing: what is told, staged in the session, inserted just before its commit.


def emit_customer_choice(
    session: Session,
    settings: Settings,
    order_id: str | None,
    customer_id: str | None,
    choice: str,
    message_id: int | None,
    at: datetime,
) -> None:
    """Tell the shop what a customer chose (CONTRACT §6), in the session's transaction; nothing
    when NOTIFIER_SHOP_WEBHOOK_URL is unset."""
    if settings.shop_webhook_url is None:
        return
    payload = {"type": CUSTOMER_CHOICE, "order_id": order_id, "customer_id": customer_id,
               "choice": choice, "message_id": message_id, "at": at.isoformat()}  # fmt: skip
    _stage(session, [payload], at, _outbox(session))


def tell_statuses(session: Session, changes: Mapping[int, NotificationStatus]) -> None:
    """Messages whose status was just written (id → the new status): those the shop hears of
    get a `message.status`, read back from their rows."""
    hand_over = _outbox(session)
    told = [message_id for message_id, status in changes.items() if status in TOLD]
    if hand_over is None or not told:
        return
    rows = session.execute(_STATUS_OF, {"ids": told}).all()
    _stage_statuses(session, rows, hand_over)


def tell_outcomes(
    session: Session,
    outcomes: Sequence[tuple[int, int, NotificationStatus, Any]],
    written: Collection[int],
) -> None:
    """`tell_statuses` for the outcomes of a batch of sends (id, claim, status, values) that
    were `written`."""
    if _outbox(session) is not None:
        tell_statuses(session, {o[0]: o[2] for o in outcomes if o[0] in written})


def tell_canceled(session: Session, cancel: Cancel, canceled_by: str, now: datetime) -> None:
    """The messages `cancel` just canceled (by `canceled_by`, at `now`) get a
    `message.status`."""
    hand_over = _outbox(session)
    if hand_over is None:
        return
    messages = _NOTIFICATIONS.c
    scopes = {"order_id": cancel.order_id, "cart_id": cancel.cart_id,
              "customer_id": cancel.customer_id}  # fmt: skip
    query = _status_query().where(
        *[messages[name] == value for name, value in scopes.items() if value is not None],
        messages.kind.in_(sorted(cancel.kinds)),
        messages.status == NotificationStatus.CANCELED,
        messages.canceled_by == canceled_by,
        messages.updated_at == now,
    )
    _stage_statuses(session, session.execute(query).all(), hand_over)


def tell_message(session: Session, message: Notification, at: datetime) -> None:
    """A message (a loaded row) whose status was just changed gets a `message.status` when the
    shop hears of that status."""
    hand_over = _outbox(session)
    if hand_over is None or message.status not in TOLD:
        return
    _stage(session, [_status_payload(message, at)], at, hand_over)


def _status_query() -> Any:
    messages = _NOTIFICATIONS.c
    return select(messages.id, messages.order_id, messages.kind, messages.channel,
                  messages.status, messages.updated_at)  # fmt: skip


_STATUS_OF = _status_query().where(_NOTIFICATIONS.c.id.in_(bindparam("ids", expanding=True)))


def _stage_statuses(session: Session, rows: Sequence[Any], hand_over: HandOver) -> None:
    for row in rows:
        _stage(session, [_status_payload(row, row.updated_at)], row.updated_at, hand_over)


def _status_payload(message: Any, at: datetime) -> dict[str, Any]:
    return {"type": MESSAGE_STATUS, "message_id": message.id, "order_id": message.order_id,
            "kind": str(message.kind), "status": str(message.status), "at": at.isoformat(),
            "channel": None if message.channel is None else str(message.channel)}  # fmt: skip


@dataclass
class _Staged:
    """A session's webhooks: staged until its commit, written, then handed over."""

    hand_over: HandOver | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    told: set[tuple[Any, Any]] = field(default_factory=set)  # (message, status) staged
    written: list[int] = field(default_factory=list)


def _stage(
    session: Session, payloads: list[dict[str, Any]], at: datetime, hand_over: HandOver | None
) -> None:
    staged = session.info.get(_STAGED)
    if staged is None:
        staged = session.info[_STAGED] = _Staged(hand_over)
        event.listen(session, "before_commit", _write_staged)
        event.listen(session, "after_commit", _hand_over_written)
        event.listen(session, "after_rollback", _forget_staged)
    for payload in payloads:
        if payload["type"] == MESSAGE_STATUS:
            told = (payload["message_id"], payload["status"])
            if told in staged.told:  # two writes in one transaction told the same change
                continue
            staged.told.add(told)
        staged.rows.append(_new_row(payload, at))


def _new_row(payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"webhook_id": new_webhook_id(), "type": payload["type"], "payload": payload,
            "created_at": at, "attempts": 0, "next_attempt_at": at + HANDED_OVER_FOR}  # fmt: skip


def new_webhook_id() -> str:
    """A webhook's id for the `webhook-id` header: `msg_` and 32 random hex digits."""
    return f"msg_{uuid.uuid4().hex}"


def _write_staged(session: Session) -> None:
    staged: _Staged = session.info[_STAGED]
    rows, staged.rows, staged.told = staged.rows, [], set()
    if rows:
        staged.written += insert_webhooks(session, rows)


def _hand_over_written(session: Session) -> None:
    staged: _Staged = session.info[_STAGED]
    ids, staged.written = staged.written, []
    if not ids or staged.hand_over is None:
        return
    try:
        staged.hand_over(ids)
    except Exception as exc:  # committed already: the scheduler's pass hands them over
        log.warning("%d shop webhooks not handed over now (%s); the scheduler will",
                    len(ids), type(exc).__name__)  # fmt: skip


def _forget_staged(session: Session) -> None:
    staged: _Staged = session.info[_STAGED]
    staged.rows, staged.told, staged.written = [], set(), []


def insert_webhooks(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert outbox rows in one multi-row INSERT; their ids, in order."""
    if not rows:
        return []
    statement = insert(_SHOP_WEBHOOKS).returning(_SHOP_WEBHOOKS.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, list(rows)).scalars())


# Delivering: claimed before each attempt, then delivered or put off.


@dataclass(frozen=True)
class Claimed:
    """A webhook taken for one attempt."""

    id: int
    webhook_id: str
    payload: dict[str, Any]
    attempts: int  # this one included


def claim(
    session: Session, ids: Sequence[int], token: str, now: datetime, stale_before: datetime
) -> list[Claimed]:
    """Take these webhooks for an attempt under `token`: those not delivered and not held by
    another sender (a claim older than `stale_before` belongs to one that died)."""
    webhooks = _SHOP_WEBHOOKS.c
    statement = (
        update(_SHOP_WEBHOOKS)
        .where(
            webhooks.id.in_(ids),
            webhooks.delivered_at.is_(None),
            webhooks.claimed_at.is_(None) | (webhooks.claimed_at < stale_before),
        )
        .values(claim_token=token, claimed_at=now, attempts=webhooks.attempts + 1)
        .returning(webhooks.id, webhooks.webhook_id, webhooks.payload, webhooks.attempts)
    )
    claimed = [Claimed(*row) for row in session.execute(statement)]
    return sorted(claimed, key=lambda webhook: webhook.id)


def mark_delivered(session: Session, ids: Sequence[int], token: str, now: datetime) -> int:
    """The shop took these webhooks (over our claim); how many were still ours."""
    if not ids:
        return 0
    webhooks = _SHOP_WEBHOOKS.c
    statement = (
        update(_SHOP_WEBHOOKS)
        .where(webhooks.id.in_(ids), webhooks.claim_token == token)
        .values(delivered_at=now, claimed_at=None, last_error=None)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Failure:
    """An attempt the shop did not take, and why (never the URL or the secret)."""

    webhook: Claimed
    error: str


def put_off(
    session: Session, failures: Sequence[Failure], token: str, now: datetime, policy: Backoff
) -> None:
    """Release the webhooks (over our claim) for another attempt after their backoff."""
    if not failures:
        return
    webhooks = _SHOP_WEBHOOKS.c
    statement = (
        update(_SHOP_WEBHOOKS)
        .where(webhooks.id == bindparam("b_id"), webhooks.claim_token == token)
        .values(
            next_attempt_at=bindparam("b_next"), last_error=bindparam("b_error"), claimed_at=None
        )
    )
    rows = [
        {
            "b_id": failure.webhook.id,
            "b_error": failure.error[:500],
            "b_next": now + policy.after(failure.webhook.attempts),
        }
        for failure in failures
    ]
    session.execute(statement, rows)


@dataclass(frozen=True)
class Backoff:
    """Exponential: `first`, twice that, four times and so on, never more than `longest`."""

    first: timedelta
    longest: timedelta

    def after(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th attempt failed."""
        doublings = min(max(attempts - 1, 0), 40)  # 2 ** 40 firsts is beyond any cap
        return min(self.first * (1 << doublings), self.longest)


def hand_over_due(session: Session, now: datetime, stale_before: datetime, limit: int) -> list[int]:
    """Undelivered webhooks whose time has come (a retry, a lost hand-over, a sender that
    died), skipping rows others hold: looked at again HANDED_OVER_FOR later; their ids."""
    webhooks = _SHOP_WEBHOOKS.c
    due = (
        select(webhooks.id)
        .where(
            webhooks.delivered_at.is_(None),
            webhooks.next_attempt_at <= now,
            webhooks.claimed_at.is_(None) | (webhooks.claimed_at < stale_before),
        )
        .order_by(webhooks.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(_SHOP_WEBHOOKS)
        .where(webhooks.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=now + HANDED_OVER_FOR)
        .returning(webhooks.id)
    )
    return sorted(session.execute(statement).scalars())
