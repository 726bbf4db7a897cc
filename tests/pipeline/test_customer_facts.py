"""Facts about a customer are taken in `occurred_at` order, field by field: a replayed older
event (a new event_id) neither overwrites a newer phone nor turns marketing consent back on."""

from __future__ import annotations

from typing import Any

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Customer
from notifier.workers.runtime import Runtime
from tests.conftest import example

NEWER_PHONE = "+525512345678"
OLDER_PHONE = "+525587654321"


def placed(event_id: str, order_id: str, at: str, **who: Any) -> dict[str, Any]:
    event = example("order_placed") | {"event_id": event_id, "occurred_at": at}
    event["order"] = event["order"] | {"id": order_id}
    event["customer"] = {"id": "cus-100"} | who
    return event


def stored(runtime: Runtime) -> Customer:
    with session_scope(runtime.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None
        session.expunge(customer)
        return customer


def test_a_replayed_older_event_does_not_undo_newer_facts(runtime: Runtime) -> None:
    newer = placed("evt-new", "ord-2", "2026-11-20T10:00:00Z", phone=NEWER_PHONE,
                   consent={"marketing": False})  # fmt: skip
    older = placed("evt-old", "ord-1", "2026-11-01T10:00:00Z", phone=OLDER_PHONE,
                   name="Ana Pérez", consent={"marketing": True, "sms": True})  # fmt: skip
    notifier.publish(newer, runtime=runtime)
    notifier.publish(older, runtime=runtime)
    customer = stored(runtime)
    assert customer.phone == NEWER_PHONE
    assert customer.consent["marketing"] is False
    assert customer.name == "Ana Pérez"  # a fact nobody newer gave is still taken
    assert customer.consent["sms"] is True


def test_a_newer_event_still_changes_what_an_older_one_said(runtime: Runtime) -> None:
    notifier.publish(placed("evt-1", "ord-1", "2026-11-01T10:00:00Z", phone=OLDER_PHONE,
                            consent={"marketing": True}), runtime=runtime)  # fmt: skip
    notifier.publish(placed("evt-2", "ord-2", "2026-11-20T10:00:00Z", phone=NEWER_PHONE,
                            consent={"marketing": False}), runtime=runtime)  # fmt: skip
    customer = stored(runtime)
    assert (customer.phone, customer.consent["marketing"]) == (NEWER_PHONE, False)
