"""Tiendanube / Nuvemshop: verify a webhook's HMAC, fetch the order, map the event.

The webhook is `{"store_id", "event", "id"}` signed with the app's secret
(`X-Linkedstore-HMAC-SHA256`, hex HMAC-SHA256 of the raw body). The order is fetched from
`GET /v1/{store_id}/orders/{id}` with the store's access token (header `Authentication: bearer
…`, Tiendanube's own spelling) and a User-Agent naming the app, as Tiendanube requires.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from adapters.platforms.common import (
    BadPayload,
    Contact,
    Event,
    Mapping,
    check_hex_hmac,
    compact,
    customer_section,
    first_time,
    get_json_object,
    ignored,
    iso_time,
    money,
)

PLATFORM = "tiendanube"
SIGNATURE_HEADER = "X-Linkedstore-HMAC-SHA256"
USER_AGENT = "Notifier (order notifications)"
# Events that happen once per order; order/updated happens many times.
ONCE = frozenset({"order/created", "order/paid", "order/fulfilled", "order/cancelled"})
MAPPED = ONCE | {"order/updated"}


@dataclass(frozen=True)
class Notification:
    """Which store, which event, which order."""

    store_id: str
    event: str
    order_id: str

    def dedup_key(self) -> str:
        """Redeliveries of a once-per-order event are one; every order/updated is kept (the
        fetched order's `updated_at` tells them apart later)."""
        key = f"{PLATFORM}:{self.store_id}:{self.event}:{self.order_id}"
        return key if self.event in ONCE else f"{key}:{uuid.uuid4().hex}"


def verify(secret: str, body: bytes, signature: str | None) -> None:
    """Raise BadSignature unless the body is signed with the app's secret."""
    check_hex_hmac(secret, body, signature, SIGNATURE_HEADER)


def parse(payload: dict[str, Any]) -> Notification:
    """The notification's ids; BadPayload names a missing one."""
    values = {name: payload.get(name) for name in ("store_id", "event", "id")}
    for name, value in values.items():
        if not isinstance(value, int | str) or value == "" or isinstance(value, bool):
            raise BadPayload(name, "missing")
    return Notification(str(values["store_id"]), str(values["event"]), str(values["id"]))


def is_mapped(notification: Notification) -> bool:
    """True for the events that can become notifier events (others are answered and ignored)."""
    return notification.event in MAPPED


def fetch_order(
    base_url: str, token: str, notification: Notification, timeout: float
) -> dict[str, Any]:
    """The order the notification is about (FetchFailed when Tiendanube does not give it)."""
    url = f"{base_url.rstrip('/')}/v1/{notification.store_id}/orders/{notification.order_id}"
    headers = {"Authentication": f"bearer {token}", "User-Agent": USER_AGENT}
    return get_json_object(url, headers, timeout)


def map_order(notification: Notification, order: dict[str, Any], region: str) -> Mapping:
    """The events the notification means for the fetched order."""
    event = _event(notification.event, order)
    if event is None:
        return ignored(f"{notification.event} with payment {order.get('payment_status')!r}")
    mapping = Mapping()
    event_id = f"{PLATFORM}:{notification.store_id}:{notification.event}:{notification.order_id}"
    if notification.event not in ONCE:
        event_id += f":{order.get('updated_at')}"
    mapping.events.append(
        {
            "event_id": event_id,
            **event,
            "occurred_at": _when(notification.event, order),
            "customer": _customer(order, region, mapping.notes),
            "order": _order(order, notification.order_id),
        }
    )
    return mapping


def _event(name: str, order: dict[str, Any]) -> Event | None:
    payment = order.get("payment_status")
    if name == "order/created" and payment == "pending":
        return {"type": "order.payment_pending", "payment": {"status": "pending"}}
    if name == "order/created":
        approved = payment in ("paid", "authorized")
        return {"type": "order.placed", **({"payment": {"status": "approved"}} if approved else {})}
    if name == "order/paid":
        return {"type": "order.paid", "payment": {"status": "approved"}}
    if name == "order/fulfilled":
        return {"type": "order.shipped", "shipment": _shipment(order)}
    if name == "order/cancelled":
        return {"type": "order.canceled"}
    if name == "order/updated" and payment == "refunded":
        return {"type": "order.refunded"}
    return None


def _when(name: str, order: dict[str, Any]) -> str:
    field = {
        "order/created": "created_at",
        "order/paid": "paid_at",
        "order/fulfilled": "shipped_at",
        "order/cancelled": "cancelled_at",
    }.get(name, "updated_at")
    when = first_time(iso_time(order.get(field)), iso_time(order.get("updated_at")))
    if when is None:
        raise BadPayload("updated_at", "the fetched order has no usable timestamp")
    return when


def _shipment(order: dict[str, Any]) -> Event:
    return compact(
        {
            "carrier": order.get("shipping_option") or order.get("shipping"),
            "tracking_number": order.get("shipping_tracking_number"),
            "tracking_url": order.get("shipping_tracking_url"),
        }
    )


def _order(order: dict[str, Any], order_id: str) -> Event:
    items = [
        compact(
            {
                "sku": product.get("sku"),
                "name": product.get("name"),
                "quantity": product.get("quantity")
                if isinstance(product.get("quantity"), int)
                else 1,
                "unit_price": money(product.get("price")),
            }
        )
        for product in order.get("products") or []
    ]
    return compact(
        {
            "id": f"{PLATFORM}:{order.get('id') or order_id}",
            "number": str(order.get("number") or order_id),
            "placed_at": iso_time(order.get("created_at")),
            "currency": order.get("currency"),
            "total": money(order.get("total") or order.get("price")),
            "items": items,
            "cancel_reason": order.get("cancel_reason"),
        }
    )


def _customer(order: dict[str, Any], region: str, notes: list[str]) -> Event:
    person = order.get("customer") or {}
    address = person.get("default_address") or {}
    shipping = order.get("shipping_address") or {}
    key = person.get("id") or f"guest-{order.get('id')}"
    contact = Contact(
        id=f"{PLATFORM}:{key}",
        name=person.get("name") or shipping.get("name"),
        emails=[order.get("contact_email"), person.get("email")],
        phones=[
            (order.get("contact_phone"), None),
            (person.get("phone"), address.get("country")),
            (address.get("phone"), address.get("country")),
            (shipping.get("phone"), shipping.get("country")),
            (order.get("billing_phone"), order.get("billing_country")),
        ],
        locale=order.get("language") if isinstance(order.get("language"), str) else None,
    )
    return customer_section(contact, region, notes)
