"""What a template sees: the snapshot stored with each message (`decide.facts`), typed: money
as Decimal, times as datetimes, plus the kind, the locale and the time zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from notifier.messages.rendering import babel_locale
from notifier.vocabulary import Kind

MONEY_KEYS = frozenset({"total", "refund_amount", "unit_price", "min_purchase"})
TIME_KEYS = frozenset(
    {"placed_at", "promised_delivery_at", "eta", "new_eta", "promised", "expires_at", "reply_by",
     "answer_by", "opened_at", "closed_at"}
)  # fmt: skip
CHOICE_KEYS = {"name": None, "number": None, "button_id": None, "url": None}


def _typed(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in MONEY_KEYS:
        return Decimal(str(value))
    if key in TIME_KEYS:
        return datetime.fromisoformat(value)
    return value


def _typed_dict(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: _typed(key, value) for key, value in raw.items()}


def _typed_cart(cart: dict[str, Any] | None) -> dict[str, Any] | None:
    if cart is None:
        return None
    typed = _typed_dict(cart)
    typed["items"] = [_typed_dict(i) for i in cart.get("items") or []]
    return typed


COUPON_TERMS = {"expires_at": None, "min_purchase": None, "currency": None}


def _typed_offer(offer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The offer, with the keys newer rules added filled in for one stored before them (its
    cancel choice was offered exactly when it had a link; no terms were stated)."""
    if offer is None:
        return None
    older = COUPON_TERMS | {"cancel_offered": bool(offer.get("cancel_url")), "refund_amount": None}
    return _typed_dict(older | offer)


def _typed_incentive(incentive: dict[str, Any] | None) -> dict[str, Any] | None:
    """A cart or win-back incentive, its terms typed (none for one stored before them)."""
    return None if incentive is None else _typed_dict(COUPON_TERMS | incentive)


def _cancellation(facts: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """What a cancellation means; for an `order_canceled` stored before these facts, what its
    order said (no delay known, nothing known unpaid)."""
    told = facts.get("cancellation")
    if told is None and kind == "order_canceled":
        order = facts["order"]
        told = {"reason": order.get("cancel_reason"), "after_delay": False, "unpaid": False,
                "refund_amount": order.get("refund_amount"), "currency": order.get("currency"),
                "order_again_url": order.get("status_url")}  # fmt: skip
    return None if told is None else _typed_dict(told)


def _out_of_stock(facts: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """What an item out of stock means; for an `out_of_stock` stored before these facts, what
    its items said (nothing known of the rest, no stated deadline)."""
    missing = facts.get("out_of_stock")
    if missing is None and kind == "out_of_stock":
        order = facts["order"]
        offered = any(item.get("alternatives") for item in facts["affected_items"])
        missing = {"refund_amount": None, "currency": order.get("currency"), "rest_ships": None,
                   "has_alternatives": offered, "if_no_answer": None, "answer_by": None,
                   "alternatives_url": order.get("status_url")}  # fmt: skip
    return None if missing is None else _typed_dict(missing)


def _choices(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The choices a message offers, in order, as the templates read them (`name`, `number`,
    `button_id`, `url`); a bare name (as a snapshot stores it) is numbered by its place and has
    no button and no link. A message stored before choices (or sent where they cannot go)
    offers none: its templates say what they said before."""
    offered: list[dict[str, Any]] = []
    for number, choice in enumerate(facts.get("choices") or [], start=1):
        given = {"name": choice} if isinstance(choice, str) else choice
        offered.append(CHOICE_KEYS | {"number": number} | given)
    return offered


def _choice(facts: dict[str, Any]) -> dict[str, Any] | None:
    """The answer a `choice_ack` acknowledges, its handoff's times typed."""
    choice = facts.get("choice")
    if choice is None:
        return None
    handoff = choice.get("handoff")
    told: dict[str, Any] = {"score": None, "shop_acts": False, "answered_kind": None} | choice
    return told | {"handoff": _typed_dict(handoff) if handoff else None}


def template_view(facts: dict[str, Any], kind: str, locale: str, timezone: str) -> dict[str, Any]:
    """The snapshot with money as Decimal and times as datetimes, plus kind, locale and zone."""
    order = _typed_dict(facts["order"])
    order["items"] = [_typed_dict(i) for i in facts["order"]["items"]]
    delay, payment, handoff = facts.get("delay"), facts.get("payment"), facts.get("handoff")
    return {
        "delay": _typed_dict(delay) if delay else None,
        "payment": _typed_dict({"spei": None} | payment) if payment else None,
        "handoff": _typed_dict(handoff) if handoff else None,
        "winback": facts.get("winback"),
        "offer": _typed_offer(facts.get("offer")),
        "cart": _typed_cart(facts.get("cart")),
        "incentive": _typed_incentive(facts.get("incentive")),
        "review_url": facts.get("review_url"),
        "cancellation": _cancellation(facts, kind),
        "out_of_stock": _out_of_stock(facts, kind),
        "choices": _choices(facts),
        "buttons": dict(facts.get("buttons") or {}),
        "choice": _choice(facts),
        "customer": facts["customer"],
        "order": order,
        "shipment": _typed_dict(facts["shipment"]),
        "affected_items": [_typed_dict(i) for i in facts["affected_items"]],
        "kind": kind,
        "marketing": Kind(kind).is_marketing,  # marketing email carries its own footer
        "locale": locale,
        "locale_obj": babel_locale(locale),
        "timezone": timezone,
    }
