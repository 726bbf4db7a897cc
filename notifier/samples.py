"""Sample facts that every template must render: a complete order and a bare one."""

from __future__ import annotations

from typing import Any

from notifier.events import EventIn
from notifier.views import snapshot

FULL_CUSTOMER = {"id": "cus-100", "name": "Ana Pérez"}
FULL_ORDER: dict[str, Any] = {
    "id": "ord-5001",
    "number": "MX-5001",
    "placed_at": "2026-11-10T15:00:00-06:00",
    "currency": "MXN",
    "total": "1299.00",
    "items": [
        {"sku": "SKU-1", "name": "Chamarra de mezclilla", "quantity": 1, "unit_price": "1299.00"},
        {"sku": "SKU-9", "name": "Calcetines de algodón", "quantity": 3, "unit_price": "89.50"},
    ],
    "promised_delivery_at": "2026-11-14T20:00:00-06:00",
    "status_url": "https://shop.example.com/orders/MX-5001",
    "cancel_reason": "customer_request",
    "refund_amount": "1299.00",
}
FULL_SHIPMENT = {
    "carrier": "Estafeta",
    "tracking_number": "EST123456789MX",
    "tracking_url": "https://track.example.com/EST123456789MX",
    "eta": "2026-11-14T18:00:00-06:00",
    "location": "Querétaro",
    "reason": "weather",
}
OUT_OF_STOCK_ITEMS = [
    {
        "sku": "SKU-1",
        "name": "Chamarra de mezclilla",
        "quantity": 1,
        "unit_price": "1299.00",
        "alternatives": [
            {
                "sku": "SKU-2",
                "name": "Chamarra de mezclilla oscura",
                "url": "https://shop.example.com/p/SKU-2",
            }
        ],
    }
]


def sample_facts() -> dict[str, dict[str, Any]]:
    """Named snapshots: `full` has every field, `bare` only the ids."""
    return {
        "full": snapshot(FULL_CUSTOMER, FULL_ORDER, FULL_SHIPMENT, OUT_OF_STOCK_ITEMS),
        "bare": snapshot({"id": "cus-1"}, {"id": "ord-1"}, {}, []),
    }


def facts_from_event(event: EventIn) -> dict[str, Any]:
    """A snapshot from one event alone, for previewing a template against a real payload."""
    customer = event.customer.model_dump(mode="json") if event.customer else {}
    order = event.order.model_dump(mode="json", exclude_none=True) if event.order else {}
    shipment = event.shipment.model_dump(mode="json") if event.shipment else {}
    affected = order.pop("items", []) if event.type == "item.out_of_stock" else []
    return snapshot(customer, order, shipment, affected)
