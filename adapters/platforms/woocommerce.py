"""WooCommerce: verify a webhook's signature and map an order's status change to events.

WooCommerce signs the raw body (`X-WC-Webhook-Signature`, base64 HMAC-SHA256 with the webhook's
secret) and sends the whole order, as its REST API returns it, on order.created and
order.updated; neither says what changed. The caller keeps the last status seen per order and
passes it in: the events follow from the transition. Saving a webhook in WooCommerce sends a
ping (`webhook_id=N`, form-encoded, unsigned) that only needs a 200.
"""

from __future__ import annotations

import html
from typing import Any

from adapters.platforms.common import (
    BadPayload,
    Contact,
    Event,
    Mapping,
    check_base64_hmac,
    compact,
    customer_section,
    ignored,
    iso_time,
    money,
)

PLATFORM = "woocommerce"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"

# WooCommerce's gateway ids → the contract's payment methods (anything else is "other").
PAYMENT_METHODS = {"stripe": "card", "woocommerce_payments": "card", "ppcp-gateway": "card"}
# Shipment-tracking plugins keep tracking here (UNVERIFIED key, not in WooCommerce core).
TRACKING_META_KEY = "_wc_shipment_tracking_items"


def verify(secret: str, body: bytes, signature: str | None) -> None:
    """Raise BadSignature unless the body is signed with the webhook's secret."""
    check_base64_hmac(secret, body, signature, SIGNATURE_HEADER)


def is_ping(body: bytes, signature: str | None) -> bool:
    """True for the unsigned `webhook_id=N` form WooCommerce sends when a webhook is saved."""
    return signature is None and body.startswith(b"webhook_id=") and len(body) < 64


def order_id(payload: dict[str, Any]) -> str:
    """Our id of the order (platform-prefixed)."""
    value = payload.get("id")
    if not isinstance(value, int | str) or value in ("", 0):
        raise BadPayload("id", "missing order id")
    return f"{PLATFORM}:{value}"


def status_of(payload: dict[str, Any]) -> str:
    """The order's WooCommerce status (pending, processing, on-hold, completed…)."""
    status = payload.get("status")
    if not isinstance(status, str) or not status:
        raise BadPayload("status", "missing order status")
    return status


def map_order(payload: dict[str, Any], previous: str | None, region: str) -> Mapping:
    """The events of an order whose status moved from `previous` (None: first seen)."""
    status = status_of(payload)
    if status == previous:
        return ignored(f"order status still {status!r}")
    event_type = _event_type(status, previous)
    if event_type is None:
        return ignored(f"status {status!r} is not told to customers")
    mapping = Mapping()
    event = {
        "event_id": f"{PLATFORM}:{payload.get('id')}:{status}:{payload.get('date_modified_gmt')}",
        "type": event_type,
        "occurred_at": _occurred_at(payload),
        "customer": _customer(payload, region, mapping.notes),
        "order": _order(payload),
        **_extra(event_type, payload),
    }
    mapping.events.append(event)
    return mapping


def _event_type(status: str, previous: str | None) -> str | None:
    if status == "processing":
        return "order.paid" if previous in ("on-hold", "pending") else "order.placed"
    return {
        "on-hold": "order.payment_pending",
        "completed": "order.shipped",
        "cancelled": "order.canceled",
        "refunded": "order.refunded",
    }.get(status)


def _extra(event_type: str, payload: dict[str, Any]) -> Event:
    if event_type == "order.payment_pending":
        method = PAYMENT_METHODS.get(str(payload.get("payment_method")), "other")
        return {"payment": {"status": "pending", "method": method}}
    if event_type in ("order.placed", "order.paid"):
        return {"payment": {"status": "approved"}}
    if event_type == "order.shipped":
        return {"shipment": _tracking(payload.get("meta_data"))}
    return {}


def _occurred_at(payload: dict[str, Any]) -> str:
    for name in ("date_modified_gmt", "date_created_gmt"):
        when = iso_time(payload.get(name), naive_is_utc=True)
        if when:
            return when
    raise BadPayload("date_modified_gmt", "no usable timestamp")


def _customer(payload: dict[str, Any], region: str, notes: list[str]) -> Event:
    billing = payload.get("billing") or {}
    customer_id = payload.get("customer_id")
    key = customer_id if customer_id else f"guest-{payload.get('id')}"
    name = " ".join(filter(None, [billing.get("first_name"), billing.get("last_name")]))
    contact = Contact(
        id=f"{PLATFORM}:{key}",
        name=name,
        emails=[billing.get("email")],
        phones=[(billing.get("phone"), billing.get("country") or None)],
    )
    return customer_section(contact, region, notes)


def _order(payload: dict[str, Any]) -> Event:
    items = [
        compact(
            {
                "sku": line.get("sku"),
                "name": html.unescape(str(line.get("name") or "")),
                "quantity": line.get("quantity") if isinstance(line.get("quantity"), int) else 1,
                "unit_price": money(line.get("price")),
            }
        )
        for line in payload.get("line_items") or []
    ]
    return compact(
        {
            "id": order_id(payload),
            "number": str(payload.get("number") or payload.get("id")),
            "placed_at": iso_time(payload.get("date_created_gmt"), naive_is_utc=True),
            "currency": payload.get("currency"),
            "total": money(payload.get("total")),
            "items": items,
            "refund_amount": _refunded(payload),
        }
    )


def _refunded(payload: dict[str, Any]) -> str | None:
    """What was refunded: WooCommerce lists refunds with negative totals."""
    if payload.get("status") != "refunded":
        return None
    refunds = [r for r in payload.get("refunds") or [] if isinstance(r, dict)]
    total = sum(float(money(str(r.get("total", "")).lstrip("-")) or 0) for r in refunds)
    return money(total) if total else money(payload.get("total"))


def _tracking(meta: Any) -> Event:
    for entry in meta if isinstance(meta, list) else []:
        if entry.get("key") == TRACKING_META_KEY and entry.get("value"):
            first = entry["value"][0] if isinstance(entry["value"], list) else {}
            return compact(
                {
                    "carrier": first.get("tracking_provider")
                    or first.get("custom_tracking_provider"),
                    "tracking_number": first.get("tracking_number"),
                    "tracking_url": first.get("custom_tracking_link"),
                }
            )
    return {}
