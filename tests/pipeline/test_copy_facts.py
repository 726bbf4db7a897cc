"""The facts a shop's copy needs, as the pipeline stores them with each message: the choices a
delay offers, what a cancellation after a delay means, an item out of stock, coupons that
state their terms, and payment reminders at decent hours."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Notification
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock, example, settings_for

MX = ZoneInfo("America/Mexico_City")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 10, 9, 0, tzinfo=MX))


@pytest.fixture
def shop(sqlite_url: str, clock: Clock) -> Runtime:
    return build_runtime(settings_for(sqlite_url), clock=clock, console=io.StringIO())


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MX)


def publish_at(shop: Runtime, clock: Clock, when: datetime, event: dict[str, Any]) -> None:
    clock.now = when
    event["occurred_at"] = when.isoformat()
    notifier.publish(event, runtime=shop)


def tick_at(shop: Runtime, clock: Clock, when: datetime) -> None:
    clock.now = when
    tick(shop, when)


def messages(shop: Runtime, kind: str, order_id: str = "ord-5001") -> list[dict[str, Any]]:
    return [r for r in message_records(shop.db_url, order_id=order_id) if r["kind"] == kind]


def facts(shop: Runtime, record: dict[str, Any]) -> dict[str, Any]:
    with session_scope(shop.db_url) as session:
        notification = session.get(Notification, record["id"])
        assert notification is not None
        return notification.context


def eta_update(event_id: str, eta: str) -> dict[str, Any]:
    event = example("shipment_eta_updated") | {"event_id": event_id}
    event["shipment"]["eta"] = eta
    return event


def placed_and_shipped(shop: Runtime, clock: Clock) -> None:
    publish_at(shop, clock, at(10, 15), example("order_placed"))
    publish_at(shop, clock, at(11, 11), example("order_shipped"))


def test_a_one_day_delay_offers_both_choices_with_the_orders_total(
    shop: Runtime, clock: Clock
) -> None:
    placed_and_shipped(shop, clock)
    publish_at(shop, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-15T12:00:00-06:00"))
    [notice] = messages(shop, "delay_notice")
    offer = facts(shop, notice)["offer"]
    assert offer["tier"] == 1
    assert (offer["cancel_offered"], offer["cancel_url"]) == (True, None)
    assert (offer["refund_amount"], offer["currency"]) == ("1299.00", "MXN")
