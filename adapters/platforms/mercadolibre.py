"""Mercado Libre: check a notification's application, fetch the order or shipment, map it.

Mercado Libre signs nothing: a notification names our `application_id` and a `resource` to fetch
(`/orders/{id}`, `/shipments/{id}`) with the seller's access token. It must be answered within
500 ms, so fetching happens later. Mercado Libre does not give sellers the buyer's email or phone
(contact goes through its own messaging): the events are recorded with the buyer's id and name
and a note saying so, and nothing is sent to the buyer rather than guessing an address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adapters.platforms.common import (
    BadPayload,
    Event,
    Mapping,
    check_equal,
    compact,
    first_time,
    get_json_object,
    ignored,
    iso_time,
    money,
)

PLATFORM = "mercadolibre"
TOPICS = frozenset({"orders_v2", "shipments"})
HIDDEN_CONTACT = "Mercado Libre does not share the buyer's email or phone: recorded, not sent"
_RESOURCE = re.compile(r"^/(orders|shipments)/(\d+)$")

EXCEPTION_SUBSTATUSES = frozenset(
    {"receiver_absent", "dangerous_area", "bad_address", "unauthorized_receiver", "delayed"}
)


@dataclass(frozen=True)
class Notification:
    """A notification we map: its topic, the resource to fetch, a key for redeliveries."""

    topic: str
    resource: str
    key: str


def parse(payload: dict[str, Any], app_id: str) -> Notification | None:
    """The notification, BadSignature when it is for another application, None for topics we
    do not map (payments, claims, questions…)."""
    check_equal(app_id, _text(payload.get("application_id")), "application_id")
    topic, resource = payload.get("topic"), payload.get("resource")
    if not isinstance(topic, str) or not topic:
        raise BadPayload("topic", "missing")
    if topic not in TOPICS:
        return None
    if not isinstance(resource, str) or not _RESOURCE.match(resource.strip()):
        raise BadPayload("resource", "expected /orders/{id} or /shipments/{id}")
    resource = resource.strip()
    # `_id` is missing from some deliveries; `received` stays the same across retries.
    unique = _text(payload.get("_id")) or f"{resource}:{_text(payload.get('received'))}"
    return Notification(topic, resource, f"{PLATFORM}:{topic}:{unique}")


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, bool) else str(value).strip()


def fetch(base_url: str, token: str, notification: Notification, timeout: float) -> dict[str, Any]:
    """The resource the notification points at (shipments in their new format)."""
    headers = {"Authorization": f"Bearer {token}"}
    if notification.topic == "shipments":
        headers["x-format-new"] = "true"
    return get_json_object(base_url.rstrip("/") + notification.resource, headers, timeout)


def map_resource(notification: Notification, resource: dict[str, Any]) -> Mapping:
    """The events the fetched order or shipment means."""
    if notification.topic == "orders_v2":
        return _map_order(resource)
    return _map_shipment(resource)


def _map_order(order: dict[str, Any]) -> Mapping:
    status = order.get("status")
    event_type = {"paid": "order.placed", "cancelled": "order.canceled"}.get(str(status))
    if event_type is None:
        return ignored(f"order status {status!r} is not told to customers")
    order_id = _text(order.get("id"))
    if not order_id:
        raise BadPayload("id", "the fetched order has no id")
    when = first_time(iso_time(order.get("last_updated")), iso_time(order.get("date_closed")),
                      iso_time(order.get("date_created")))  # fmt: skip
    if when is None:
        raise BadPayload("last_updated", "the fetched order has no usable timestamp")
    event: Event = {
        "event_id": f"{PLATFORM}:order:{order_id}:{status}",
        "type": event_type,
        "occurred_at": when,
        "customer": _buyer(order.get("buyer") or {}, order_id),
        "order": _order(order, order_id),
    }
    if event_type == "order.placed":
        event["payment"] = {"status": "approved"}
    return Mapping(events=[event], notes=[HIDDEN_CONTACT])


def _buyer(buyer: dict[str, Any], order_id: str) -> Event:
    name = " ".join(filter(None, [buyer.get("first_name"), buyer.get("last_name")]))
    key = _text(buyer.get("id")) or f"guest-{order_id}"
    return compact({"id": f"{PLATFORM}:{key}", "name": name or buyer.get("nickname")})


def _order(order: dict[str, Any], order_id: str) -> Event:
    items = []
    for line in order.get("order_items") or []:
        item = line.get("item") or {}
        quantity = line.get("quantity")
        items.append(
            compact(
                {
                    "sku": item.get("seller_sku") or item.get("id"),
                    "name": item.get("title"),
                    "quantity": quantity if isinstance(quantity, int) else 1,
                    "unit_price": money(line.get("unit_price")),
                }
            )
        )
    return compact(
        {
            "id": f"{PLATFORM}:{order_id}",
            "number": order_id,
            "placed_at": iso_time(order.get("date_created")),
            "currency": order.get("currency_id"),
            "total": money(order.get("total_amount")),
            "items": items,
        }
    )


def shipment_event_type(status: str | None, substatus: str | None) -> str | None:
    """Mercado Libre's shipment status and substatus as our event type (None: nothing to say)."""
    if status == "delivered":
        return "shipment.delivered"
    if status == "not_delivered":
        return "shipment.exception"
    if status != "shipped":
        return None
    if substatus is None:
        return "order.shipped"
    if substatus == "out_for_delivery":
        return "shipment.out_for_delivery"
    if substatus in EXCEPTION_SUBSTATUSES:
        return "shipment.exception"
    return "shipment.in_transit"


def _map_shipment(shipment: dict[str, Any]) -> Mapping:
    status, substatus = _text(shipment.get("status")), _text(shipment.get("substatus"))
    event_type = shipment_event_type(status, substatus)
    if event_type is None:
        return ignored(f"shipment status {status!r}/{substatus!r} is not told to customers")
    order_id = _text(shipment.get("order_id"))
    if not order_id:
        raise BadPayload("order_id", "the fetched shipment names no order")
    updated = _text(shipment.get("last_updated"))
    when = first_time(iso_time(updated), iso_time(shipment.get("date_created")))
    if when is None:
        raise BadPayload("last_updated", "the fetched shipment has no usable timestamp")
    section = _shipment(shipment)
    if event_type == "shipment.exception":
        section["reason"] = substatus or status
    key = f"{PLATFORM}:shipment:{shipment.get('id')}:{status}:{substatus}:{updated}"
    event = {"event_id": key, "type": event_type, "occurred_at": when,
             "order": {"id": f"{PLATFORM}:{order_id}"}, "shipment": section}  # fmt: skip
    return Mapping(events=[event], notes=[HIDDEN_CONTACT])


def _shipment(shipment: dict[str, Any]) -> Event:
    lead_time = shipment.get("lead_time") or {}
    estimate = lead_time.get("estimated_delivery_time") or {}
    tracking = shipment.get("tracking") or {}
    return compact(
        {
            "carrier": shipment.get("tracking_method") or tracking.get("method"),
            "tracking_number": shipment.get("tracking_number") or tracking.get("number"),
            "eta": iso_time(estimate.get("date") if isinstance(estimate, dict) else None),
        }
    )
