"""The report's figures on what the messages brought back, each one aggregate query over the
messages sent in the period:

- carts: the carts reminded, the orders placed within the attribution window after a reminder
  (from that cart, or by that customer) and their revenue per currency;
- coupons: the codes we gave (a customer and a code once) and those an order then used;
- win-back: the messages sent, the customers who ordered within the window, their revenue;
- reviews: the requests sent and the orders reviewed after one;
- delay notices: the notices sent, the choices made under them, the cancels carried out at
  the shop's platform (Shopify).

An order is credited once, however many messages came before it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from notifier.store.models import CustomerChoice, Event, Notification, OrderCode, Purchase
from notifier.store.period import Period, within
from notifier.store.report_messages import REACHED
from notifier.vocabulary import Kind

N = Notification
REMINDERS = (Kind.CART_REMINDER_1, Kind.CART_REMINDER_2)
CENTS = Decimal("0.01")


def _sent(kinds: tuple[Kind, ...], period: Period) -> Any:
    return and_(N.kind.in_(kinds), N.status.in_(REACHED), period.holds(N.sent_at))


def _revenue(session: Session, credited: Any) -> tuple[int, dict[str, str]]:
    """How many purchases are credited, and their revenue per currency."""
    query = (
        select(Purchase.currency, func.count(), func.sum(Purchase.total))
        .where(credited)
        .group_by(Purchase.currency)
    )
    count, revenue = 0, {}
    for currency, many, total in session.execute(query):
        count += int(many)
        revenue[currency or "unknown"] = str(Decimal(str(total or 0)).quantize(CENTS))
    return count, revenue


def carts(session: Session, period: Period, window: timedelta) -> dict[str, Any]:
    """Carts reminded, recovered, and the revenue recovered."""
    dialect = session.get_bind().dialect.name
    reminded = session.execute(
        select(func.count(func.distinct(N.cart_id))).where(_sent(REMINDERS, period))
    ).scalar_one()
    came_back = or_(Purchase.cart_id == N.cart_id, Purchase.customer_id == N.customer_id)
    credited = exists().where(
        _sent(REMINDERS, period), came_back, within(Purchase.placed_at, N.sent_at, window, dialect)
    )
    recovered, revenue = _revenue(session, credited)
    return {"reminded": int(reminded), "recovered": recovered, "revenue": revenue}


def winback(session: Session, period: Period, window: timedelta) -> dict[str, Any]:
    """Win-backs sent, the customers who ordered after one, and what they spent."""
    dialect = session.get_bind().dialect.name
    sent = session.execute(select(func.count()).where(_sent((Kind.WINBACK,), period)))
    credited = exists().where(
        _sent((Kind.WINBACK,), period),
        Purchase.customer_id == N.customer_id,
        within(Purchase.placed_at, N.sent_at, window, dialect),
    )
    converted, revenue = _revenue(session, credited)
    return {"sent": int(sent.scalar_one()), "converted": converted, "revenue": revenue}


def coupons(session: Session, period: Period) -> dict[str, Any]:
    """Coupons given (one per customer and code) and redeemed (an order used it after)."""
    given = (
        select(N.customer_id, N.coupon_code, func.min(N.sent_at).label("first_at"))
        .where(N.coupon_code.is_not(None), N.status.in_(REACHED), period.holds(N.sent_at))
        .group_by(N.customer_id, N.coupon_code)
        .subquery("given")
    )
    used = exists().where(
        OrderCode.code == given.c.coupon_code,
        or_(OrderCode.customer_id == given.c.customer_id, OrderCode.customer_id.is_(None)),
        OrderCode.used_at >= given.c.first_at,
    )
    redeemed = func.sum(case((used, 1), else_=0))
    issued, taken = session.execute(select(func.count(), redeemed).select_from(given)).one()
    return {"issued": int(issued), "redeemed": int(taken or 0)}


def reviews(session: Session, period: Period) -> dict[str, Any]:
    """Review requests sent, and the orders reviewed after one."""
    requested = session.execute(select(func.count()).where(_sent((Kind.REVIEW_REQUEST,), period)))
    after_request = exists().where(
        _sent((Kind.REVIEW_REQUEST,), period),
        N.order_id == Event.order_id,
        Event.occurred_at > N.sent_at,
    )
    reviewed = session.execute(
        select(func.count(func.distinct(Event.order_id))).where(
            Event.type == "review.submitted", after_request
        )
    ).scalar_one()
    return {"requested": int(requested.scalar_one()), "submitted": int(reviewed)}


def delays(session: Session, period: Period) -> dict[str, Any]:
    """Delay notices sent, the choices made under them, and the cancels carried out."""
    notices = session.execute(select(func.count()).where(_sent((Kind.DELAY_NOTICE,), period)))
    notice = aliased(Notification)
    query = (
        select(CustomerChoice.choice, CustomerChoice.shop_action, func.count())
        .join(notice, notice.id == CustomerChoice.notification_id)
        .where(notice.kind == Kind.DELAY_NOTICE, period.holds(CustomerChoice.at))
        .group_by(CustomerChoice.choice, CustomerChoice.shop_action)
    )
    chosen: dict[str, int] = {}
    canceled = 0
    for choice, shop_action, count in session.execute(query):
        chosen[choice] = chosen.get(choice, 0) + int(count)
        canceled += int(count) if choice == "cancel" and shop_action == "done" else 0
    return {"notices": int(notices.scalar_one()), "choices": chosen,
            "canceled_at_platform": canceled}  # fmt: skip
