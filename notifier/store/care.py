"""The care tables: handoffs, support forwards, win-back's customers and the job runs that
keep a daily scan to one scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from notifier.store.models import Customer, Handoff, JobRun, Notification, Order, SupportForward
from notifier.store.upserts import insert_ignoring_conflicts
from notifier.vocabulary import ForwardStatus, HandoffStatus, Kind, NotificationStatus, OrderStatus

ON_ITS_WAY = (NotificationStatus.SCHEDULED, NotificationStatus.QUEUED, NotificationStatus.SENDING)

SENT = (NotificationStatus.SENT, NotificationStatus.DELIVERED)


def open_handoff(session: Session, open_key: str) -> Handoff | None:
    """The open conversation under this key, locked."""
    query = select(Handoff).where(Handoff.open_key == open_key).with_for_update()
    return session.execute(query).scalar_one_or_none()


def insert_handoff(session: Session, values: dict[str, Any]) -> int | None:
    """Open a conversation; None when one is already open under the same key."""
    statement = insert_ignoring_conflicts(session, Handoff).values(**values).returning(Handoff.id)
    return session.execute(statement).scalar_one_or_none()


def has_open_handoff(session: Session, customer_id: str) -> bool:
    """True while a person has this customer's conversation open (a unique-key lookup)."""
    query = select(Handoff.id).where(Handoff.open_key == customer_id)
    return session.execute(query).first() is not None


def has_pending_winback(session: Session, customer_id: str) -> bool:
    """True while a win-back planned for this customer has not gone out yet (held, paced)."""
    query = select(Notification.id).where(
        Notification.customer_id == customer_id,
        Notification.kind == Kind.WINBACK,
        Notification.status.in_(ON_ITS_WAY),
    )
    return session.execute(query.limit(1)).first() is not None


def record_winback_sent(
    session: Session, customer_id: str, now: datetime, again: timedelta
) -> None:
    """A win-back went out: none again within `again` (only a sent one counts)."""
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is not None:
        customer.last_winback_at = now
        customer.winback_at = max(customer.winback_at or now, now + again)


def list_handoffs(session: Session, status: HandoffStatus | None = None) -> list[Handoff]:
    """Conversations, newest first; priority ones first among the open."""
    query = select(Handoff).order_by(Handoff.priority.desc(), Handoff.id.desc())
    if status is not None:
        query = query.where(Handoff.status == status)
    return list(session.execute(query).scalars())


def recent_orders(session: Session, customer_id: str, limit: int) -> list[Order]:
    """The customer's latest orders."""
    query = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def last_sent(session: Session, customer_id: str, limit: int) -> list[Notification]:
    """The last messages that reached the customer, newest first."""
    query = (
        select(Notification)
        .where(Notification.customer_id == customer_id, Notification.status.in_(SENT))
        .order_by(Notification.sent_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def release_held(session: Session, customer_id: str, why: str, now: datetime) -> int:
    """Messages held for this customer's conversation are due again now; how many."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.customer_id == customer_id,
            Notification.status == NotificationStatus.SCHEDULED,
            Notification.error == why,
        )
        .values(due_at=now, error=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def insert_forward(session: Session, values: dict[str, Any]) -> int | None:
    """Plan one delivery to support; None when it was planned already."""
    statement = (
        insert_ignoring_conflicts(session, SupportForward)
        .values(**values)
        .returning(SupportForward.id)
    )
    return session.execute(statement).scalar_one_or_none()


def claim_forward(session: Session, forward_id: int, now: datetime) -> bool:
    """Take a due, pending forward for sending; False when someone else has it."""
    result = session.execute(
        update(SupportForward)
        .where(
            SupportForward.id == forward_id,
            SupportForward.status == ForwardStatus.PENDING,
            SupportForward.due_at <= now,
        )
        .values(status=ForwardStatus.SENDING, attempts=SupportForward.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def record_forward(
    session: Session, forward_id: int, status: ForwardStatus, values: dict[str, Any]
) -> None:
    """Write how a forward ended, only over our own claim."""
    session.execute(
        update(SupportForward)
        .where(SupportForward.id == forward_id, SupportForward.status == ForwardStatus.SENDING)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )


def due_forwards(session: Session, now: datetime, stuck_since: datetime, limit: int) -> list[int]:
    """Pending forwards whose time has come, after putting back the ones whose sender died
    mid-send (`sending` untouched since `stuck_since`)."""
    session.execute(
        update(SupportForward)
        .where(
            SupportForward.status == ForwardStatus.SENDING,
            SupportForward.updated_at < stuck_since,
        )
        .values(status=ForwardStatus.PENDING, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    query = (
        select(SupportForward.id)
        .where(SupportForward.status == ForwardStatus.PENDING, SupportForward.due_at <= now)
        .order_by(SupportForward.due_at)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim_job_run(session: Session, job: str, run_key: str, now: datetime) -> bool:
    """True for the one scheduler that gets to run `job` for `run_key` (the day)."""
    taken = select(JobRun.id).where(JobRun.job == job, JobRun.run_key == run_key)
    if session.execute(taken).first() is not None:
        return False
    values = {"job": job, "run_key": run_key, "started_at": now}
    statement = insert_ignoring_conflicts(session, JobRun).values(**values).returning(JobRun.id)
    return session.execute(statement).scalar_one_or_none() is not None


def customers_due_for_winback(session: Session, now: datetime, limit: int) -> list[Customer]:
    """Customers whose win-back look is due, locked (others' locked rows skipped)."""
    query = (
        select(Customer)
        .where(Customer.winback_at <= now)
        .order_by(Customer.winback_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(query).scalars())


IN_PROGRESS = (
    OrderStatus.PAYMENT_PENDING,
    OrderStatus.PLACED,
    OrderStatus.SHIPPED,
    OrderStatus.IN_TRANSIT,
    OrderStatus.OUT_FOR_DELIVERY,
)


def has_order_in_progress(session: Session, customer_id: str, since: datetime) -> bool:
    """True when an order of the customer moved since `since` and is not finished."""
    query = select(Order.id).where(
        Order.customer_id == customer_id,
        Order.status.in_(IN_PROGRESS),
        Order.status_at >= since,
    )
    return session.execute(query.limit(1)).first() is not None


def last_order_currency(session: Session, customer_id: str) -> str | None:
    """The currency of the customer's most recent order (None when unknown)."""
    query = (
        select(Order.details)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    details = session.execute(query).scalar_one_or_none()
    currency = (details or {}).get("currency")
    return currency if isinstance(currency, str) else None
