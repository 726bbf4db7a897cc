"""What a template sees: a JSON snapshot stored with each message, and its typed view.

The snapshot is taken when the message is planned (so a scheduled message says what was true
then) and holds every key a template may use, so StrictUndefined only fires on real mistakes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from notifier.messages.rendering import babel_locale

ORDER_KEYS = [
    "id",
    "number",
    "placed_at",
    "currency",
    "total",
    "status_url",
    "cancel_reason",
    "refund_amount",
    "promised_delivery_at",
]
SHIPMENT_KEYS = ["carrier", "tracking_number", "tracking_url", "eta", "location", "reason"]
EXTRA_KEYS = (
    "delay", "offer", "cart", "incentive", "review_url", "payment", "handoff", "winback",
)  # fmt: skip
MONEY_KEYS = frozenset({"total", "refund_amount", "unit_price"})
TIME_KEYS = frozenset(
    {"placed_at", "promised_delivery_at", "eta", "new_eta", "promised", "expires_at", "reply_by"}
)


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    alternatives = [
        {"sku": a.get("sku"), "name": a.get("name"), "url": a.get("url")}
        for a in raw.get("alternatives") or []
    ]
    return {
        "sku": raw.get("sku"),
        "name": raw.get("name") or raw.get("sku") or "",
        "quantity": raw.get("quantity", 1),
        "unit_price": raw.get("unit_price"),
        "alternatives": alternatives,
    }


def snapshot(
    customer: dict[str, Any],
    order: dict[str, Any],
    shipment: dict[str, Any],
    affected_items: list[dict[str, Any]] | None = None,
    **extras: dict[str, Any] | str | None,
) -> dict[str, Any]:
    """The JSON-ready facts a message is rendered from (strings, numbers, lists).

    `extras` are the kind's own facts: `delay`, `offer`, `cart`, `incentive`, `review_url`,
    `payment`, `handoff`, `winback`; each is always present in the snapshot (None when the
    kind has none)."""
    unknown = set(extras) - set(EXTRA_KEYS)
    if unknown:
        raise ValueError(f"unknown snapshot extras {sorted(unknown)}")
    name = customer.get("name") or ""
    order_view = {key: order.get(key) for key in ORDER_KEYS}
    order_view["number"] = order.get("number") or order.get("id") or ""
    order_view["items"] = [_item(i) for i in order.get("items") or []]
    cart = extras.get("cart")
    if isinstance(cart, dict):
        extras["cart"] = {**cart, "items": [_item(i) for i in cart.get("items") or []]}
    return {
        "customer": {"id": customer.get("id"), "name": name, "first_name": _first(name)},
        "order": order_view,
        "shipment": {key: shipment.get(key) for key in SHIPMENT_KEYS},
        "affected_items": [_item(i) for i in affected_items or []],
        **{key: extras.get(key) for key in EXTRA_KEYS},
    }


def _first(name: str) -> str:
    words = name.split()
    return words[0] if words else ""


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


def template_view(facts: dict[str, Any], kind: str, locale: str, timezone: str) -> dict[str, Any]:
    """The snapshot with money as Decimal and times as datetimes, plus kind, locale and zone."""
    order = _typed_dict(facts["order"])
    order["items"] = [_typed_dict(i) for i in facts["order"]["items"]]
    delay, payment, handoff = facts.get("delay"), facts.get("payment"), facts.get("handoff")
    return {
        "delay": _typed_dict(delay) if delay else None,
        "payment": _typed_dict(payment) if payment else None,
        "handoff": _typed_dict(handoff) if handoff else None,
        "winback": facts.get("winback"),
        "offer": facts.get("offer"),
        "cart": _typed_cart(facts.get("cart")),
        "incentive": facts.get("incentive"),
        "review_url": facts.get("review_url"),
        "customer": facts["customer"],
        "order": order,
        "shipment": _typed_dict(facts["shipment"]),
        "affected_items": [_typed_dict(i) for i in facts["affected_items"]],
        "kind": kind,
        "locale": locale,
        "locale_obj": babel_locale(locale),
        "timezone": timezone,
    }
