"""The facts a message is rendered from: a JSON snapshot taken when the message is planned
(so a scheduled message says what was true then), holding every key a template may use so that
StrictUndefined only fires on real mistakes. `messages.views` types it for the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from notifier.vocabulary import OrderStatus

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
    "cancellation", "out_of_stock",
)  # fmt: skip


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
    `payment`, `handoff`, `winback`, `cancellation`, `out_of_stock`; each is always present
    in the snapshot (None when the kind has none)."""
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


@dataclass(frozen=True)
class Reader:
    """How a customer reads us: their locale and time zone, each the settings' default
    (NOTIFIER_DEFAULT_LOCALE / _TIMEZONE) where they gave none. Coupon prefixes follow the
    language; payment reminders keep to the quiet hours of the zone."""

    locale: str
    timezone: str

    def of(self, locale: str | None, timezone: str | None) -> Reader:
        """A customer's reading, these defaults filling what they did not give."""
        return Reader(locale or self.locale, timezone or self.timezone)


# The settings' own defaults, for callers that have no settings (tests, previews).
DEFAULT_READER = Reader("es-MX", "America/Mexico_City")


class OrderLike(Protocol):
    """What decisions read of an order (the store's row is one); they never write it."""

    @property
    def id(self) -> str: ...

    @property
    def customer_id(self) -> str | None: ...

    @property
    def status(self) -> OrderStatus | None: ...

    @property
    def status_at(self) -> datetime | None: ...

    @property
    def details(self) -> dict[str, Any]: ...

    @property
    def shipment(self) -> dict[str, Any]: ...

    @property
    def last_scan_at(self) -> datetime | None: ...

    @property
    def notified_eta(self) -> datetime | None: ...

    @property
    def next_check_at(self) -> datetime | None: ...


class CustomerLike(Protocol):
    """What decisions read of a customer (the store's row is one)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str | None: ...

    @property
    def orders_count(self) -> int | None: ...

    @property
    def last_order_at(self) -> datetime | None: ...

    @property
    def last_winback_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class OrderView:
    """An order as a decision leaves it: the next state the store writes."""

    id: str
    customer_id: str | None = None
    status: OrderStatus | None = None
    status_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    shipment: dict[str, Any] = field(default_factory=dict)
    last_scan_at: datetime | None = None
    notified_eta: datetime | None = None
    next_check_at: datetime | None = None

    @classmethod
    def of(cls, order: OrderLike) -> OrderView:
        """The order as it is now."""
        return cls(
            order.id, order.customer_id, order.status, order.status_at, order.details or {},
            order.shipment or {}, order.last_scan_at, order.notified_eta, order.next_check_at,
        )  # fmt: skip
