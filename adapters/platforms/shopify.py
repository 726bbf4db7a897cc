"""Shopify: verify a webhook's HMAC and map its topic to notifier events.

Shopify signs the raw body (`X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 with the app's secret),
names the topic in `X-Shopify-Topic` and gives every delivery a `X-Shopify-Webhook-Id`, which
becomes the event id: a redelivery is a duplicate. Routing is on the topic only: Shopify's
sample orders carry `cancelled_at` even on orders/create.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.platforms.common import (
    BadPayload,
    Contact,
    Event,
    Mapping,
    check_base64_hmac,
    compact,
    customer_section,
    first_time,
    ignored,
    iso_time,
    money,
)

PLATFORM = "shopify"
SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"

# fulfillment event status → our shipment event; the rest (label_printed, confirmed…) say
# nothing to the customer unless they bring a new ETA.
SHIPMENT_EVENTS = {
    "in_transit": "shipment.in_transit",
    "carrier_picked_up": "shipment.in_transit",
    "picked_up": "shipment.in_transit",
    "out_for_delivery": "shipment.out_for_delivery",
    "delivered": "shipment.delivered",
    "attempted_delivery": "shipment.exception",
    "delayed": "shipment.exception",
    "failure": "shipment.exception",
}


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: its headers that matter, the decoded body, the shop's country."""

    topic: str
    webhook_id: str
    payload: dict[str, Any]
    region: str
    triggered_at: str | None = None


def verify(secret: str, body: bytes, signature: str | None) -> None:
    """Raise BadSignature unless the body is signed with the app's secret (before parsing)."""
    check_base64_hmac(secret, body, signature, SIGNATURE_HEADER)


def gid(kind: str, value: Any) -> str:
    """Our id for a Shopify object: platform-prefixed so shops' ids never collide with others."""
    if value is None or value == "":
        raise BadPayload(kind, "missing")
    return f"{PLATFORM}:{value}"


def map_webhook(delivery: Delivery) -> Mapping:
    """The events one webhook means (empty, with the reason, for topics we do not map)."""
    mapper = TOPICS.get(delivery.topic)
    if mapper is None:
        return ignored(f"topic {delivery.topic!r} is not mapped")
    mapping = Mapping()
    for index, event in enumerate(mapper(delivery, mapping.notes)):
        suffix = f":{index}" if index else ""
        mapping.events.append({"event_id": f"{PLATFORM}:{delivery.webhook_id}{suffix}", **event})
    if not mapping.events:
        mapping.ignored = f"{delivery.topic}: nothing to tell the customer"
    return mapping


def _when(delivery: Delivery, *fields: str) -> str:
    payload = delivery.payload
    found = first_time(*(iso_time(payload.get(name)) for name in fields))
    when = found or iso_time(delivery.triggered_at)
    if when is None:
        raise BadPayload(fields[0] if fields else "X-Shopify-Triggered-At", "no usable timestamp")
    return when


def _customer(order: dict[str, Any], region: str, notes: list[str]) -> Event:
    person = order.get("customer") or {}
    shipping = order.get("shipping_address") or {}
    billing = order.get("billing_address") or {}
    default = person.get("default_address") or {}
    # A guest has no customer id; never make one of an email or phone (ids show up in logs).
    key = person.get("id") or f"guest-{order.get('id') or order.get('token')}"
    name = " ".join(filter(None, [person.get("first_name"), person.get("last_name")]))
    contact = Contact(
        id=gid("customer.id", key),
        name=name or shipping.get("name") or billing.get("name"),
        emails=[order.get("email"), order.get("contact_email"), person.get("email")],
        phones=[
            (order.get("phone"), None),
            (order.get("sms_marketing_phone"), None),
            (person.get("phone"), default.get("country_code")),
            (shipping.get("phone"), shipping.get("country_code")),
            (billing.get("phone"), billing.get("country_code")),
        ],
        locale=_locale(order.get("customer_locale")),
    )
    return customer_section(contact, region, notes)


def _locale(value: Any) -> str | None:
    return value if isinstance(value, str) and 2 <= len(value) <= 35 else None


def _items(lines: Any) -> list[Event]:
    items = []
    for line in lines if isinstance(lines, list) else []:
        item = compact(
            {
                "sku": line.get("sku"),
                "name": line.get("name") or line.get("title") or line.get("presentment_title"),
                "unit_price": money(line.get("price")),
            }
        )
        quantity = line.get("quantity")
        items.append({**item, "quantity": quantity if isinstance(quantity, int) else 1})
    return items


def _order(order: dict[str, Any]) -> Event:
    checkout = order.get("checkout_token")
    return compact(
        {
            "id": gid("id", order.get("id")),
            "number": order.get("name") or _text(order.get("order_number")),
            "placed_at": iso_time(order.get("processed_at")) or iso_time(order.get("created_at")),
            "currency": order.get("currency"),
            "total": money(order.get("current_total_price") or order.get("total_price")),
            "items": _items(order.get("line_items")),
            "status_url": order.get("order_status_url"),
            "cart_id": f"{PLATFORM}:{checkout}" if checkout else None,
        }
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _order_created(delivery: Delivery, notes: list[str]) -> list[Event]:
    order = delivery.payload
    event: Event = {
        "type": "order.placed",
        "occurred_at": _when(delivery, "created_at", "processed_at"),
        "customer": _customer(order, delivery.region, notes),
        "order": _order(order),
    }
    status = order.get("financial_status")
    if status == "pending":
        event.update(type="order.payment_pending", payment={"status": "pending"})
    elif status in ("paid", "authorized", "partially_paid"):
        event["payment"] = {"status": "approved"}
    return [event]


def _order_paid(delivery: Delivery, notes: list[str]) -> list[Event]:
    order = delivery.payload
    return [
        {
            "type": "order.paid",
            "occurred_at": _when(delivery, "processed_at", "updated_at"),
            "customer": _customer(order, delivery.region, notes),
            "order": _order(order),
            "payment": {"status": "approved"},
        }
    ]


def _order_cancelled(delivery: Delivery, _notes: list[str]) -> list[Event]:
    order = delivery.payload
    section = {"id": gid("id", order.get("id")), "cancel_reason": order.get("cancel_reason")}
    return [
        {
            "type": "order.canceled",
            "occurred_at": _when(delivery, "cancelled_at", "updated_at"),
            "order": compact(section),
        }
    ]


def _tracking(fulfillment: dict[str, Any]) -> Event:
    numbers = fulfillment.get("tracking_numbers") or []
    urls = fulfillment.get("tracking_urls") or []
    return compact(
        {
            "carrier": fulfillment.get("tracking_company"),
            "tracking_number": fulfillment.get("tracking_number") or (numbers[:1] or [None])[0],
            "tracking_url": fulfillment.get("tracking_url") or (urls[:1] or [None])[0],
        }
    )


def _fulfillment_created(delivery: Delivery, _notes: list[str]) -> list[Event]:
    fulfillment = delivery.payload
    return [
        {
            "type": "order.shipped",
            "occurred_at": _when(delivery, "created_at", "updated_at"),
            "order": {"id": gid("order_id", fulfillment.get("order_id"))},
            "shipment": _tracking(fulfillment),
        }
    ]


def _fulfillment_updated(delivery: Delivery, _notes: list[str]) -> list[Event]:
    fulfillment = delivery.payload
    event_type = SHIPMENT_EVENTS.get(str(fulfillment.get("shipment_status")))
    if event_type is None:
        return []
    shipment = _tracking(fulfillment)
    if event_type == "shipment.exception":
        shipment["reason"] = str(fulfillment.get("shipment_status"))
    return [
        {
            "type": event_type,
            "occurred_at": _when(delivery, "updated_at", "created_at"),
            "order": {"id": gid("order_id", fulfillment.get("order_id"))},
            "shipment": shipment,
        }
    ]


def _location(scan: dict[str, Any]) -> str | None:
    parts = [scan.get(name) for name in ("city", "province", "country")]
    return ", ".join(p for p in parts if isinstance(p, str) and p) or None


def _fulfillment_event(delivery: Delivery, _notes: list[str]) -> list[Event]:
    scan = delivery.payload
    status = str(scan.get("status"))
    eta = iso_time(scan.get("estimated_delivery_at"))
    event_type = SHIPMENT_EVENTS.get(status) or ("shipment.eta_updated" if eta else None)
    if event_type is None:
        return []
    shipment = compact({"eta": eta, "location": _location(scan)})
    if event_type == "shipment.exception":
        shipment["reason"] = status
    return [
        {
            "type": event_type,
            "occurred_at": _when(delivery, "happened_at", "created_at"),
            "order": {"id": gid("order_id", scan.get("order_id"))},
            "shipment": shipment,
        }
    ]


def _refund_amount(refund: dict[str, Any]) -> str | None:
    total = 0.0
    for transaction in refund.get("transactions") or []:
        if transaction.get("kind") == "refund" and transaction.get("status") == "success":
            total += float(money(transaction.get("amount")) or 0)
    return money(total) if total else None


def _refund_created(delivery: Delivery, _notes: list[str]) -> list[Event]:
    refund = delivery.payload
    order = {"id": gid("order_id", refund.get("order_id")), "refund_amount": _refund_amount(refund)}
    return [
        {
            "type": "order.refunded",
            "occurred_at": _when(delivery, "processed_at", "created_at"),
            "order": compact(order),
        }
    ]


def _return_requested(delivery: Delivery, _notes: list[str]) -> list[Event]:
    order = delivery.payload.get("order") or {}
    return [
        {
            "type": "return.requested",
            "occurred_at": _when(delivery, "created_at", "updated_at"),
            "order": {"id": gid("order.id", order.get("id"))},
        }
    ]


def _checkout(delivery: Delivery, notes: list[str]) -> list[Event]:
    checkout = delivery.payload
    cart_id = gid("token", checkout.get("token"))
    occurred_at = _when(delivery, "completed_at", "updated_at", "created_at")
    if checkout.get("completed_at"):
        return [{"type": "cart.cleared", "occurred_at": occurred_at, "cart": {"id": cart_id}}]
    cart = {
        "id": cart_id,
        "items": _items(checkout.get("line_items")),
        "total": money(checkout.get("total_price")),
        "currency": checkout.get("presentment_currency") or checkout.get("currency"),
        "recovery_url": checkout.get("abandoned_checkout_url"),
    }
    return [
        {
            "type": "cart.updated",
            "occurred_at": occurred_at,
            "customer": _customer(checkout, delivery.region, notes),
            "cart": compact(cart),
        }
    ]


TOPICS: dict[str, Callable[[Delivery, list[str]], list[Event]]] = {
    "orders/create": _order_created,
    "orders/paid": _order_paid,
    "orders/cancelled": _order_cancelled,
    "fulfillments/create": _fulfillment_created,
    "fulfillments/update": _fulfillment_updated,
    "fulfillment_events/create": _fulfillment_event,
    "refunds/create": _refund_created,
    "returns/request": _return_requested,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
}
