"""Customers' choices: the message a reply answers, each choice stored once, and the cancels
still to carry out at the shop's platform."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from notifier.store.models import CustomerChoice, Notification
from notifier.store.upserts import insert_ignoring_conflicts
from notifier.vocabulary import Kind, NotificationStatus

OFFERING_KINDS = (Kind.DELAY_NOTICE, Kind.OUT_OF_STOCK, Kind.ORDER_DELIVERED, Kind.HANDOFF_FOLLOWUP)
REACHED = (NotificationStatus.SENT, NotificationStatus.DELIVERED)
LOOK_BACK = 20  # the newest reached messages of those kinds looked at for one with choices
PENDING, DONE, REFUSED, FAILED = "pending", "done", "refused", "failed"


def offering(notification: Notification | None) -> Notification | None:
    """The message, if it reached the customer and offered choices."""
    if notification is None or notification.status not in REACHED:
        return None
    return notification if (notification.context or {}).get("choices") else None


def open_offerings(
    session: Session, customer_ids: Sequence[str], since: datetime
) -> list[Notification]:
    """The customer's messages that offered choices and reached them since `since`, newest
    first."""
    if not customer_ids:
        return []
    query = (
        select(Notification)
        .where(
            Notification.customer_id.in_(customer_ids),
            Notification.kind.in_(OFFERING_KINDS),
            Notification.status.in_(REACHED),
            Notification.sent_at >= since,
        )
        .order_by(Notification.sent_at.desc(), Notification.id.desc())
        .limit(LOOK_BACK)
    )
    found = (offering(n) for n in session.execute(query).scalars())
    return [n for n in found if n is not None]


def by_provider_id(session: Session, provider_message_id: str) -> Notification | None:
    """Our message with this provider id (what a WhatsApp reply quotes)."""
    query = select(Notification).where(Notification.provider_message_id == provider_message_id)
    return session.execute(query.limit(1)).scalar_one_or_none()


def insert_choice(session: Session, values: dict[str, Any]) -> int | None:
    """Store a choice; None when it is stored already (the same inbound message, or the same
    choice for the same message)."""
    statement = insert_ignoring_conflicts(session, CustomerChoice).values(**values)
    return session.execute(statement.returning(CustomerChoice.id)).scalar_one_or_none()


def pending_shop_actions(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """The choices whose cancel at the shop's platform is due to be carried out."""
    query = (
        select(CustomerChoice.id)
        .where(CustomerChoice.shop_action == PENDING, CustomerChoice.shop_action_due_at <= now)
        .order_by(CustomerChoice.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim_shop_action(session: Session, choice_id: int) -> CustomerChoice | None:
    """The choice, locked, while its shop action is pending; None once carried out."""
    query = select(CustomerChoice).where(
        CustomerChoice.id == choice_id, CustomerChoice.shop_action == PENDING
    )
    return session.execute(query.with_for_update(skip_locked=True)).scalar_one_or_none()


def finish_shop_action(
    session: Session, choice_id: int, outcome: str, error: str | None, next_at: datetime | None
) -> None:
    """Record what the shop's platform made of the action (and when to try again, if pending)."""
    session.execute(
        update(CustomerChoice)
        .where(CustomerChoice.id == choice_id)
        .values(
            shop_action=outcome,
            shop_action_error=error,
            shop_action_attempts=CustomerChoice.shop_action_attempts + 1,
            shop_action_due_at=next_at,
        )
    )


def scores_of_order(session: Session, order_id: str) -> list[int]:
    """The satisfaction scores given for an order, oldest first."""
    query = (
        select(CustomerChoice.score)
        .where(CustomerChoice.order_id == order_id, CustomerChoice.score.is_not(None))
        .order_by(CustomerChoice.id)
    )
    return [score for score in session.execute(query).scalars() if score is not None]
