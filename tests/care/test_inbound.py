"""What customers write back, on the real embedded pipeline: their numbers read as the
platforms' are, and CANCELAR heard as a request about the order."""

from __future__ import annotations

from datetime import datetime

import notifier
from notifier.care import handoffs
from notifier.care.inbound import handle_inbound
from notifier.store.db import session_scope
from notifier.store.models import Customer
from notifier.workers.runtime import Runtime
from tests.conftest import example

PHONE = "+525512345678"


def customer(runtime: Runtime) -> Customer:
    with session_scope(runtime.db_url) as session:
        found = session.get(Customer, "cus-100")
        assert found is not None
        session.expunge(found)
        return found


def place_order(runtime: Runtime) -> None:
    event = example("order_placed")
    event["customer"] = event["customer"] | {"id": "cus-100", "phone": PHONE}
    notifier.publish(event, runtime=runtime)


def test_a_mexican_whatsapp_baja_with_the_legacy_1_is_recorded(runtime: Runtime) -> None:
    place_order(runtime)
    reply = handle_inbound(runtime, "whatsapp:+5215512345678", "BAJA")
    assert reply  # answered, as before
    stored = customer(runtime)
    assert "whatsapp" in stored.opted_out  # and now recorded against the customer
    assert stored.whatsapp_window_until is not None
    assert isinstance(stored.whatsapp_window_until, datetime)


def test_a_mexican_whatsapp_reply_joins_the_customers_handoff(runtime: Runtime) -> None:
    place_order(runtime)
    handle_inbound(runtime, "whatsapp:+5215512345678", "¿Dónde está mi pedido?")
    opened = handoffs.records(runtime.db_url)
    assert [h["customer_id"] for h in opened] == ["cus-100"]


def test_cancelar_is_heard_not_unsubscribed(runtime: Runtime) -> None:
    place_order(runtime)
    reply = handle_inbound(runtime, PHONE, "Cancelar")
    assert customer(runtime).opted_out == []
    # no open choice to answer: a short question back, never a silent action (CONTRACT §6)
    assert reply is not None and "BAJA" in reply
    assert handoffs.records(runtime.db_url) == []
