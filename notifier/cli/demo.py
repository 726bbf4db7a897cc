"""`notifier demo`: a store week in the embedded mode, on a simulated clock.

Three customers (es-MX, pt-BR, en-US): a full journey with a delay told before the customer asks
(and a coupon), a canceled and refunded order, an item out of stock with an alternative, an
abandoned cart reminded the next morning (not at night), a boleto waiting to be paid (how to pay,
and a reminder the day before it expires), a review request a week after delivery (none after a
return), a duplicate event and a stale one, Ana's answers, a tap on a short link, and a win-back
that brings a customer back. The scheduler ticks every simulated hour. At the end it prints
every message each customer got, in order, with its channel, and the week's report.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from notifier.care import handoffs
from notifier.care.inbound import handle_inbound
from notifier.cli.report import text_lines
from notifier.config import Settings
from notifier.intake.ingest import publish
from notifier.store import short_links
from notifier.store.db import session_scope
from notifier.store.models import Compensation
from notifier.store.period import Period
from notifier.store.report import report_over
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick

CUSTOMERS: dict[str, dict[str, Any]] = {
    "ana": {
        "id": "cus-ana", "name": "Ana Pérez", "phone": "+525512345678",
        "email": "ana@example.com", "locale": "es-MX", "timezone": "America/Mexico_City",
        "channels": ["whatsapp", "sms", "email"], "consent": {"marketing": True},
    },
    "joao": {
        "id": "cus-joao", "name": "João Silva", "phone": "+5511987654321",
        "email": "joao@example.com.br", "locale": "pt-BR", "timezone": "America/Sao_Paulo",
        "channels": ["sms", "email"], "consent": {"marketing": True},
    },
    "emily": {
        "id": "cus-emily", "name": "Emily Clark", "email": "emily@example.com",
        "locale": "en-US", "timezone": "America/New_York", "channels": ["email"],
        "consent": {"marketing": True},
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


def _order(who: str, **fields: Any) -> dict[str, Any]:
    return {"id": ORDERS[who]["id"], **fields}


JOAO_CART = {
    "id": "cart-joao-2", "currency": "BRL", "total": "189.90",
    "items": [{"sku": "MEIA-3", "name": "Meias de corrida (3 pares)", "quantity": 1,
               "unit_price": "189.90"}],
    "recovery_url": "https://loja.example.com.br/carrinho/cart-joao-2",
}  # fmt: skip
JOAO_BOLETO_ORDER = {
    "id": "ord-joao-2", "number": "BR-7004", "currency": "BRL", "total": "189.90",
    "items": JOAO_CART["items"], "cart_id": "cart-joao-2",
}  # fmt: skip
JOAO_BOLETO = {
    "status": "pending", "method": "boleto", "expires_at": "2026-11-15T23:59:00-03:00",
    "code": "23793.38128 60000.000003 00000.000400 1 84340000018990",
    "voucher_url": "https://loja.example.com.br/boleto/BR-7004",
}  # fmt: skip
UPS = {**SHIPMENT, "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
       "tracking_url": "https://track.example.com/1Z999AA10123456784"}  # fmt: skip


def store_week() -> Iterator[tuple[str, dict[str, Any]]]:
    """The week's events in the order they arrive, each with a note for the story."""
    placed = _event(1, "order.placed", "2026-11-10T15:00:00Z", "ana",
                    customer=CUSTOMERS["ana"], order=ORDERS["ana"])  # fmt: skip
    yield "Ana orders a jacket", placed
    yield "João orders running shoes", _event(
        2, "order.placed", "2026-11-10T15:20:00Z", "joao",
        customer=CUSTOMERS["joao"], order=ORDERS["joao"])  # fmt: skip
    yield "Emily orders two mugs", _event(
        3, "order.placed", "2026-11-10T16:00:00Z", "emily",
        customer=CUSTOMERS["emily"], order=ORDERS["emily"])  # fmt: skip
    yield "the shop sends Ana's order.placed again (duplicate)", placed
    yield "Emily's mug ran out", _event(
        4, "item.out_of_stock", "2026-11-10T17:00:00Z", "emily",
        order=_order("emily", items=ORDERS["emily"]["items"]))  # fmt: skip
    yield "João cancels", _event(
        5, "order.canceled", "2026-11-10T18:00:00Z", "joao",
        order=_order("joao", cancel_reason="customer_request"))  # fmt: skip
    yield "João's refund goes through", _event(
        6, "order.refunded", "2026-11-10T19:00:00Z", "joao",
        order=_order("joao", refund_amount="349.90"))  # fmt: skip
    yield (
        "Ana's jacket ships",
        _event(7, "order.shipped", "2026-11-10T20:00:00Z", "ana", shipment=SHIPMENT),
    )
    yield (
        "Emily's mugs ship",
        _event(8, "order.shipped", "2026-11-10T20:30:00Z", "emily", shipment=UPS),
    )
    yield "João fills a new cart at 20:30 in São Paulo and leaves", {
        "event_id": "demo-009", "type": "cart.updated", "occurred_at": "2026-11-10T23:30:00Z",
        "customer": {"id": CUSTOMERS["joao"]["id"]}, "cart": JOAO_CART}  # fmt: skip
    yield (
        "João taps the link of his second cart reminder",
        {"tap": "cart_reminder_2", "who": "joao", "occurred_at": "2026-11-12T11:50:00Z"},
    )
    yield "João orders socks and pays by boleto, due in three days", _event(
        16, "order.placed", "2026-11-12T12:00:00Z", "joao", order=JOAO_BOLETO_ORDER,
        customer={"id": CUSTOMERS["joao"]["id"]}, payment=JOAO_BOLETO)  # fmt: skip
    yield "the carrier moves Ana's ETA past the promise", _event(
        10, "shipment.eta_updated", "2026-11-12T15:00:00Z", "ana",
        shipment={"eta": "2026-11-16T18:00:00-06:00", "location": "Querétaro"})  # fmt: skip
    yield "Ana taps 'Esperar' under the delay notice: her coupon comes", _reply("1", "11-12T16:00")
    yield (
        "Emily's mugs are delivered",
        _event(11, "shipment.delivered", "2026-11-12T18:30:00Z", "emily", shipment={}),
    )
    yield (
        "a late, stale order.shipped for Emily",
        _event(12, "order.shipped", "2026-11-12T18:45:00Z", "emily", shipment=UPS),
    )
    yield (
        "Emily asks to return a mug",
        _event(15, "return.requested", "2026-11-13T14:00:00Z", "emily"),
    )
    yield (
        "Ana's jacket is out for delivery",
        _event(13, "shipment.out_for_delivery", "2026-11-16T15:00:00Z", "ana", shipment={}),
    )
    yield (
        "Ana's jacket is delivered",
        _event(14, "shipment.delivered", "2026-11-16T21:00:00Z", "ana", shipment={}),
    )
    yield from answers_and_what_followed()


ANA_WHATSAPP = "whatsapp:+5215512345678"  # how WhatsApp writes Ana's Mexican mobile
ANA_COUPON = "{ana's coupon}"  # the code the store gave her, read when her next order comes


def answers_and_what_followed() -> Iterator[tuple[str, dict[str, Any]]]:
    """Ana's answers after her delivery (as Twilio would post them), and what came of them."""
    yield "Ana rates her delivery 2 of 5: a person takes it, with priority", _reply(
        "2", "11-17T15:00")  # fmt: skip
    yield "the person closes Ana's conversation 40 minutes later", {
        "close_handoff": True, "occurred_at": "2026-11-17T15:40:00Z"}  # fmt: skip
    yield "Ana orders again with her coupon", _event(
        17, "order.placed", "2026-11-18T17:00:00Z", "ana", customer={"id": "cus-ana"},
        order={"id": "ord-ana-2", "number": "MX-5002", "currency": "MXN", "total": "499.00",
               "discount_codes": [ANA_COUPON]})  # fmt: skip
    yield "Emily, missed since her mugs, orders a blue one", _event(
        19, "order.placed", "2026-11-21T15:00:00Z", "emily", customer={"id": "cus-emily"},
        order={"id": "ord-emily-2", "number": "US-9004", "currency": "USD", "total": "42.00",
               "items": [{"sku": "MUG-2", "name": "Talavera mug, blue", "quantity": 1,
                          "unit_price": "42.00"}]})  # fmt: skip
    yield "Ana reviews her jacket", _event(18, "review.submitted", "2026-11-24T10:00:00Z", "ana")


def _reply(body: str, at: str) -> dict[str, Any]:
    return {"reply": ANA_WHATSAPP, "body": body, "occurred_at": f"2026-{at}:00Z"}


def _tick_until(runtime: Runtime, clock: SimulatedClock, until: datetime) -> None:
    """Run the scheduler every hour of simulated time up to `until`, then stand there."""
    while clock.now + TICK <= until:
        clock.now += TICK
        tick(runtime, clock.now)
    clock.now = max(clock.now, until)  # a late (stale or duplicate) event does not rewind time


class SimulatedClock:
    """A clock the demo moves through the week."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


DEMO_SHOP = "Casa Lupita"
START = datetime.fromisoformat("2026-11-10T14:00:00+00:00")
END = datetime.fromisoformat("2026-11-24T12:00:00+00:00")
TICK = timedelta(hours=1)


DEMO_PUBLIC_URL = "https://lupita.example"
# The demo shop sells everyday things: a customer is missed nine days after their last order
# (the default is 60), so that the week shows a win-back and what it brought.
DEMO_POLICY = """short_links = true
[winback]
after = "9d"
url = "https://shop.example.com/new"
"""
SHORT_LINK = re.compile(re.escape(DEMO_PUBLIC_URL) + r"/r/([A-Za-z0-9_-]+)")


def demo_settings(database_url: str, templates_dir: Path, folder: Path, **extra: Any) -> Settings:
    """The demo shop's settings: its name, its public URL and its policy (written to
    `folder`)."""
    policy = folder / "notifier.toml"
    policy.write_text(DEMO_POLICY, encoding="utf-8")
    return Settings(
        database_url=database_url, broker_url="memory://", templates_dir=templates_dir,
        policy_file=policy, shop_name=DEMO_SHOP, public_url=DEMO_PUBLIC_URL, **extra,
    )  # fmt: skip


def run_demo(out: TextIO, templates_dir: Path) -> None:
    """Play the store week in a temporary SQLite database and print what each customer got."""
    with tempfile.TemporaryDirectory(prefix="notifier-demo-") as folder:
        settings = demo_settings(
            f"sqlite:///{folder}/demo.db", templates_dir, Path(folder),
            support_email="ayuda@casalupita.example",
        )  # fmt: skip
        clock = SimulatedClock()
        runtime = build_runtime(settings, clock=clock, console=io.StringIO())
        play_week(runtime, clock, out)
        out.write(f"… the scheduler ticked every hour until {END:%a %d %H:%M}Z\n\n")
        _print_messages(out, settings.database_url)
        _print_report(out, runtime)


def play_week(runtime: Runtime, clock: SimulatedClock, out: TextIO) -> None:
    """The store's week, event by event and answer by answer, the scheduler ticking between."""
    for note, step in store_week():
        _tick_until(runtime, clock, datetime.fromisoformat(step["occurred_at"]))
        what, flag = _play(runtime, step)
        out.write(f"{step['occurred_at'][5:16]}Z {what:<26} {note}{flag}\n")
    _tick_until(runtime, clock, END)


def _play(runtime: Runtime, step: dict[str, Any]) -> tuple[str, str]:
    if "reply" in step:
        handle_inbound(runtime, step["reply"], step["body"], sid=f"SMdemo{step['occurred_at']}")
        return f"reply {step['body']!r}", ""
    if "tap" in step:
        return "link tapped", f" → {_tap(runtime, step['who'], step['tap'])}"
    if "close_handoff" in step:
        for handoff in handoffs.records(runtime.db_url, only_open=True):
            handoffs.close(runtime, handoff["id"])
        return "handoff closed", ""
    codes = step.get("order", {}).get("discount_codes", [])
    if ANA_COUPON in codes:
        step["order"]["discount_codes"] = [_coupon_of(runtime, "ord-ana-1")]
    result = publish(runtime, step)
    return step["type"], " (duplicate: acknowledged, nothing sent)" if result.duplicate else ""


def _tap(runtime: Runtime, who: str, kind: str) -> str:
    """The customer opens the short link of their message of this kind, as a browser would
    (`GET /r/{code}`): where it took them."""
    records = message_records(runtime.db_url, customer_id=CUSTOMERS[who]["id"])
    [body] = [r["body"] for r in records if r["kind"] == kind and r["body"]]
    match = SHORT_LINK.search(body)
    assert match, f"the {kind} carries a short link"
    with session_scope(runtime.db_url) as session:
        target = short_links.follow(session, match.group(1), runtime.clock(), counted=True)
    return target or "(unknown link)"


def _coupon_of(runtime: Runtime, order_id: str) -> str:
    with session_scope(runtime.db_url) as session:
        query = select(Compensation.code).where(Compensation.order_id == order_id)
        return str(session.execute(query.limit(1)).scalar_one())


def _print_report(out: TextIO, runtime: Runtime) -> None:
    """What the week cost and earned (`notifier report` over the demo's database)."""
    document = report_over(runtime.db_url, runtime.policy, Period(START, END))
    out.write("\n".join(text_lines(document)) + "\n")


def _print_messages(out: TextIO, db_url: str) -> None:
    for customer in CUSTOMERS.values():
        records = message_records(db_url, customer_id=customer["id"])
        out.write(f"=== {customer['name']} ({customer['locale']}): {len(records)} messages\n")
        for record in records:
            _print_record(out, record)
        out.write("\n")


def _print_record(out: TextIO, record: dict[str, Any]) -> None:
    channel = record["channel"] or "-"
    if record["rendered_for"] and record["rendered_for"] != channel:
        channel = f"{record['rendered_for']} (on the {channel})"
    header = f"--- {record['kind']} · {channel} · {record['status']}"
    out.write(f"{header} · {record['sent_at'] or record['due_at']}\n")
    if record["subject"]:
        out.write(f"Subject: {record['subject']}\n")
    why = f"(canceled by {record['canceled_by']})" if record["canceled_by"] else record["error"]
    out.write(f"{record['body'] or why}\n\n")
