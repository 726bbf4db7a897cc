"""`notifier demo`: a store day in the embedded mode, on a simulated clock.

Three customers (es-MX, pt-BR, en-US): a full journey, a canceled and refunded order, an item out
of stock with an alternative, a duplicate event and a stale one. At the end it prints every
message each customer got, in order, with its channel.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from notifier.config import Settings
from notifier.ingest import publish
from notifier.runtime import build_runtime
from notifier.timeline import message_records

CUSTOMERS: dict[str, dict[str, Any]] = {
    "ana": {
        "id": "cus-ana", "name": "Ana Pérez", "phone": "+525512345678",
        "email": "ana@example.com", "locale": "es-MX", "timezone": "America/Mexico_City",
        "channels": ["whatsapp", "sms", "email"],
    },
    "joao": {
        "id": "cus-joao", "name": "João Silva", "phone": "+5511987654321",
        "email": "joao@example.com.br", "locale": "pt-BR", "timezone": "America/Sao_Paulo",
        "channels": ["sms", "email"],
    },
    "emily": {
        "id": "cus-emily", "name": "Emily Clark", "email": "emily@example.com",
        "locale": "en-US", "timezone": "America/New_York", "channels": ["email"],
    },
}  # fmt: skip

ORDERS: dict[str, dict[str, Any]] = {
    "ana": {
        "id": "ord-ana-1", "number": "MX-5001", "currency": "MXN", "total": "1299.00",
        "status_url": "https://shop.example.com/orders/MX-5001",
        "promised_delivery_at": "2026-11-14T20:00:00-06:00",
        "items": [{"sku": "SKU-1", "name": "Chamarra de mezclilla", "quantity": 1,
                   "unit_price": "1299.00"}],
    },
    "joao": {
        "id": "ord-joao-1", "number": "BR-7002", "currency": "BRL", "total": "349.90",
        "status_url": "https://loja.example.com.br/pedidos/BR-7002",
        "items": [{"sku": "TEN-42", "name": "Tênis de corrida", "quantity": 1,
                   "unit_price": "349.90"}],
    },
    "emily": {
        "id": "ord-emily-1", "number": "US-9003", "currency": "USD", "total": "84.00",
        "status_url": "https://shop.example.com/orders/US-9003",
        "items": [{"sku": "MUG-1", "name": "Talavera mug", "quantity": 2, "unit_price": "42.00",
                   "alternatives": [{"sku": "MUG-2", "name": "Talavera mug, blue",
                                     "url": "https://shop.example.com/p/MUG-2"}]}],
    },
}  # fmt: skip

SHIPMENT = {
    "carrier": "Estafeta",
    "tracking_number": "EST123456789MX",
    "tracking_url": "https://track.example.com/EST123456789MX",
    "eta": "2026-11-14T18:00:00-06:00",
}


def _event(n: int, kind: str, at: str, who: str, **sections: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"event_id": f"demo-{n:03d}", "type": kind, "occurred_at": at}
    event["order"] = sections.pop("order", {"id": ORDERS[who]["id"]})
    event.update(sections)
    return event


def store_day() -> Iterator[tuple[str, dict[str, Any]]]:
    """The day's events in the order they arrive, each with a note for the story."""
    placed = _event(
        1,
        "order.placed",
        "2026-11-10T15:00:00Z",
        "ana",
        customer=CUSTOMERS["ana"],
        order=ORDERS["ana"],
    )
    yield "Ana orders a jacket", placed
    yield (
        "João orders running shoes",
        _event(
            2,
            "order.placed",
            "2026-11-10T15:20:00Z",
            "joao",
            customer=CUSTOMERS["joao"],
            order=ORDERS["joao"],
        ),
    )
    yield (
        "Emily orders two mugs",
        _event(
            3,
            "order.placed",
            "2026-11-10T16:00:00Z",
            "emily",
            customer=CUSTOMERS["emily"],
            order=ORDERS["emily"],
        ),
    )
    yield "the shop sends Ana's order.placed again (duplicate)", placed
    yield (
        "Emily's mug ran out",
        _event(
            4,
            "item.out_of_stock",
            "2026-11-10T17:00:00Z",
            "emily",
            order={"id": ORDERS["emily"]["id"], "items": ORDERS["emily"]["items"]},
        ),
    )
    yield (
        "João cancels",
        _event(
            5,
            "order.canceled",
            "2026-11-10T18:00:00Z",
            "joao",
            order={"id": ORDERS["joao"]["id"], "cancel_reason": "customer_request"},
        ),
    )
    yield (
        "João's refund goes through",
        _event(
            6,
            "order.refunded",
            "2026-11-10T19:00:00Z",
            "joao",
            order={"id": ORDERS["joao"]["id"], "refund_amount": "349.90"},
        ),
    )
    yield (
        "Ana's jacket ships",
        _event(7, "order.shipped", "2026-11-10T20:00:00Z", "ana", shipment=SHIPMENT),
    )
    yield (
        "Emily's mugs ship",
        _event(
            8,
            "order.shipped",
            "2026-11-10T20:30:00Z",
            "emily",
            shipment={
                **SHIPMENT,
                "carrier": "UPS",
                "tracking_number": "1Z999AA10123456784",
                "tracking_url": "https://track.example.com/1Z999AA10123456784",
            },
        ),
    )
    yield (
        "Ana's jacket is out for delivery",
        _event(9, "shipment.out_for_delivery", "2026-11-10T21:00:00Z", "ana", shipment={}),
    )
    yield (
        "Ana's jacket is delivered",
        _event(10, "shipment.delivered", "2026-11-10T23:00:00Z", "ana", shipment={}),
    )
    yield (
        "Emily's mugs are delivered",
        _event(11, "shipment.delivered", "2026-11-10T23:30:00Z", "emily", shipment={}),
    )
    yield (
        "a late, stale order.shipped for Emily",
        _event(12, "order.shipped", "2026-11-10T20:45:00Z", "emily", shipment=SHIPMENT),
    )
    yield "Emily asks to return a mug", _event(
        13, "return.requested", "2026-11-10T23:50:00Z", "emily")  # fmt: skip


class SimulatedClock:
    """A clock the demo moves to each event's time."""

    def __init__(self) -> None:
        self.now = datetime.fromisoformat("2026-11-10T14:00:00+00:00")

    def __call__(self) -> datetime:
        return self.now


def run_demo(out: TextIO, templates_dir: Path) -> None:
    """Play the store day in a temporary SQLite database and print what each customer got."""
    with tempfile.TemporaryDirectory(prefix="notifier-demo-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/demo.db",
            broker_url="memory://",
            templates_dir=templates_dir,
            policy_file=None,
        )
        clock = SimulatedClock()
        runtime = build_runtime(settings, clock=clock, console=io.StringIO())
        for note, event in store_day():
            clock.now = datetime.fromisoformat(event["occurred_at"])
            result = publish(event, runtime=runtime)
            flag = " (duplicate: acknowledged, nothing sent)" if result.duplicate else ""
            out.write(f"{clock.now:%H:%M} {event['type']:<26} {note}{flag}\n")
        out.write("\n")
        _print_messages(out, settings.database_url)


def _print_messages(out: TextIO, db_url: str) -> None:
    for customer in CUSTOMERS.values():
        records = message_records(db_url, customer_id=customer["id"])
        out.write(f"=== {customer['name']} ({customer['locale']}): {len(records)} messages\n")
        for record in records:
            _print_record(out, record)
        out.write("\n")


def _print_record(out: TextIO, record: dict[str, Any]) -> None:
    channel = record["channel"]
    if record["rendered_for"] and record["rendered_for"] != channel:
        channel = f"{record['rendered_for']} (on the {channel})"
    header = f"--- {record['kind']} · {channel} · {record['status']}"
    out.write(f"{header} · {record['sent_at'] or record['due_at']}\n")
    if record["subject"]:
        out.write(f"Subject: {record['subject']}\n")
    out.write(f"{record['body'] or record['error']}\n\n")
