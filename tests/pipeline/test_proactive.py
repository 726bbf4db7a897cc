"""The proactive engine, driven through time with `tick`: reminders, delays, reviews."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Compensation
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock, example, settings_for

MX = ZoneInfo("America/Mexico_City")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 10, 9, 0, tzinfo=MX))


@pytest.fixture
def engine(sqlite_url: str, clock: Clock) -> Runtime:
    return build_runtime(settings_for(sqlite_url), clock=clock, console=io.StringIO())


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MX)


def publish_at(engine: Runtime, clock: Clock, when: datetime, event: dict[str, Any]) -> None:
    clock.now = when
    event["occurred_at"] = when.isoformat()
    notifier.publish(event, runtime=engine)


def tick_at(engine: Runtime, clock: Clock, when: datetime) -> None:
    clock.now = when
    tick(engine, when)


def sent(engine: Runtime, **where: str) -> list[tuple[str, datetime]]:
    return [
        (r["kind"], datetime.fromisoformat(r["sent_at"]).astimezone(MX))
        for r in message_records(engine.db_url, **where)
        if r["status"] == "sent"
    ]


def cart_updated(event_id: str = "evt-cart-1") -> dict[str, Any]:
    return example("cart_updated") | {"event_id": event_id}


def test_cart_reminders_go_out_an_hour_and_a_day_after_the_last_change(
    engine: Runtime, clock: Clock
) -> None:
    publish_at(engine, clock, at(10, 10), cart_updated())
    tick_at(engine, clock, at(10, 10, 59))
    assert sent(engine, customer_id="cus-100") == []
    tick_at(engine, clock, at(10, 11))
    assert sent(engine, customer_id="cus-100") == [("cart_reminder_1", at(10, 11))]
    tick_at(engine, clock, at(11, 9, 59))
    tick_at(engine, clock, at(11, 10))
    assert sent(engine, customer_id="cus-100")[1:] == [("cart_reminder_2", at(11, 10))]


def test_a_new_cart_update_moves_the_reminders(engine: Runtime, clock: Clock) -> None:
    publish_at(engine, clock, at(10, 10), cart_updated())
    publish_at(engine, clock, at(10, 10, 45), cart_updated("evt-cart-2"))
    tick_at(engine, clock, at(10, 11))
    assert sent(engine, customer_id="cus-100") == []
    tick_at(engine, clock, at(10, 11, 45))
    assert sent(engine, customer_id="cus-100") == [("cart_reminder_1", at(10, 11, 45))]


def test_an_order_from_the_cart_cancels_both_reminders(engine: Runtime, clock: Clock) -> None:
    publish_at(engine, clock, at(10, 10), cart_updated())
    publish_at(engine, clock, at(10, 10, 30), example("order_placed"))
    for when in (at(10, 11), at(11, 10), at(12, 10)):
        tick_at(engine, clock, when)
    reminders = [r for r in message_records(engine.db_url, customer_id="cus-100")
                 if r["kind"].startswith("cart_reminder")]  # fmt: skip
    assert [(r["status"], r["canceled_by"]) for r in reminders] == [("canceled", "evt-0001")] * 2


def test_cart_cleared_cancels_the_reminders(engine: Runtime, clock: Clock) -> None:
    publish_at(engine, clock, at(10, 10), cart_updated())
    publish_at(engine, clock, at(10, 10, 20), example("cart_cleared"))
    tick_at(engine, clock, at(11, 12))
    assert sent(engine, customer_id="cus-100") == []


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(engine: Runtime, clock: Clock) -> None:
    publish_at(engine, clock, at(10, 20, 30), cart_updated())
    tick_at(engine, clock, at(10, 21, 30))
    assert sent(engine, customer_id="cus-100") == []
    tick_at(engine, clock, at(11, 7, 59))
    assert sent(engine, customer_id="cus-100") == []
    tick_at(engine, clock, at(11, 8))
    assert sent(engine, customer_id="cus-100") == [("cart_reminder_1", at(11, 8))]


def test_marketing_needs_consent_but_transactional_kinds_do_not(
    engine: Runtime, clock: Clock
) -> None:
    event = cart_updated()
    event["customer"]["consent"]["marketing"] = False
    publish_at(engine, clock, at(10, 10), event)
    tick_at(engine, clock, at(10, 11))
    [first, _] = message_records(engine.db_url, customer_id="cus-100")
    assert (first["status"], first["error"]) == ("skipped", "no marketing consent")


def eta_update(event_id: str, eta: str) -> dict[str, Any]:
    event = example("shipment_eta_updated") | {"event_id": event_id}
    event["shipment"]["eta"] = eta
    return event


def placed_and_shipped(engine: Runtime, clock: Clock, orders_count: int = 3) -> None:
    placed, shipped = example("order_placed"), example("order_shipped")
    for event in (placed, shipped):
        event["customer"]["orders_count"] = orders_count
    publish_at(engine, clock, at(10, 15), placed)
    publish_at(engine, clock, at(11, 11), shipped)


def delay_notices(engine: Runtime) -> list[dict[str, Any]]:
    return [r for r in message_records(engine.db_url, order_id="ord-5001")
            if r["kind"] == "delay_notice"]  # fmt: skip


def test_an_eta_past_the_promise_sends_one_notice_with_its_tier_and_coupon(
    engine: Runtime, clock: Clock
) -> None:
    placed_and_shipped(engine, clock)
    publish_at(engine, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    publish_at(engine, clock, at(13, 5), eta_update("evt-eta-2", "2026-11-16T18:00:00-06:00"))
    publish_at(engine, clock, at(13, 6), eta_update("evt-eta-3", "2026-11-15T12:00:00-06:00"))
    [notice] = delay_notices(engine)
    assert notice["status"] == "sent" and notice["sent_at"] < "2026-11-14"
    offer = notice_context(engine, notice["id"])["offer"]
    assert offer["tier"] == 2 and offer["free_shipping"] and offer["percent_off"] == 10
    # the notice offers waiting with 10%; the code itself comes with the choice (`choice_ack`)
    assert offer["coupon_code"] not in notice["body"] and "10%" in notice["body"]
    assert notice_context(engine, notice["id"])["choices"] == ["wait", "cancel", "person"]
    publish_at(engine, clock, at(14, 6), eta_update("evt-eta-4", "2026-11-19T18:00:00-06:00"))
    later = delay_notices(engine)[1]
    later_offer = notice_context(engine, later["id"])["offer"]
    assert later_offer["tier"] == 3 and later_offer["coupon_code"] != offer["coupon_code"]


def notice_context(engine: Runtime, notification_id: int) -> dict[str, Any]:
    from notifier.store.models import Notification

    with session_scope(engine.db_url) as session:
        notification = session.get(Notification, notification_id)
        assert notification is not None
        return notification.context


def test_a_vip_customer_gets_the_next_tier(engine: Runtime, clock: Clock) -> None:
    placed_and_shipped(engine, clock, orders_count=6)
    publish_at(engine, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    [notice] = delay_notices(engine)
    assert notice_context(engine, notice["id"])["offer"]["tier"] == 3


def test_a_delivered_order_never_gets_a_delay_notice(engine: Runtime, clock: Clock) -> None:
    placed_and_shipped(engine, clock)
    publish_at(engine, clock, at(12, 12), example("shipment_delivered"))
    publish_at(engine, clock, at(12, 13), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    tick_at(engine, clock, at(15, 12))
    assert delay_notices(engine) == []


def test_an_order_not_shipped_by_ship_by_is_told_at_the_first_tick_after(
    engine: Runtime, clock: Clock
) -> None:
    publish_at(engine, clock, at(10, 15), example("order_placed"))
    tick_at(engine, clock, at(11, 17, 59))  # ship_by is 11-11 18:00
    assert delay_notices(engine) == []
    tick_at(engine, clock, at(11, 18, 1))
    [notice] = delay_notices(engine)
    assert notice["status"] == "sent"
    assert datetime.fromisoformat(notice["sent_at"]) < at(14, 20)  # before the promised date
    tick_at(engine, clock, at(11, 19))
    assert len(delay_notices(engine)) == 1


def test_a_shipment_exception_sends_a_notice_naming_the_reason(
    engine: Runtime, clock: Clock
) -> None:
    placed_and_shipped(engine, clock)
    publish_at(engine, clock, at(12, 9), example("shipment_exception"))
    [notice] = delay_notices(engine)
    assert notice_context(engine, notice["id"])["delay"]["exception_reason"] == "weather"


def test_review_request_goes_out_seven_days_after_delivery(engine: Runtime, clock: Clock) -> None:
    placed_and_shipped(engine, clock)
    publish_at(engine, clock, at(13, 13), example("shipment_delivered"))
    tick_at(engine, clock, at(20, 12))
    assert [k for k, _ in sent(engine, order_id="ord-5001")].count("review_request") == 0
    tick_at(engine, clock, at(20, 13, 30))
    assert ("review_request", at(20, 13, 30)) in sent(engine, order_id="ord-5001")


def test_no_review_request_after_a_return_request(engine: Runtime, clock: Clock) -> None:
    placed_and_shipped(engine, clock)
    publish_at(engine, clock, at(13, 13), example("shipment_delivered"))
    publish_at(engine, clock, at(15, 10), example("return_requested"))
    tick_at(engine, clock, at(21, 12))
    assert "review_request" not in [k for k, _ in sent(engine, order_id="ord-5001")]


def test_in_transit_updates_come_every_two_days_until_delivery(
    engine: Runtime, clock: Clock
) -> None:
    placed_and_shipped(engine, clock)  # shipped 11-11 11:00
    publish_at(engine, clock, at(12, 9), example("shipment_in_transit"))
    tick_at(engine, clock, at(13, 11))
    update = [r for r in message_records(engine.db_url, order_id="ord-5001")
              if r["kind"] == "in_transit_update" and r["status"] == "sent"]  # fmt: skip
    assert len(update) == 1 and "Querétaro" in update[0]["body"]
    publish_at(engine, clock, at(14, 9), example("shipment_delivered"))
    tick_at(engine, clock, at(25, 12))
    kinds = [k for k, _ in sent(engine, order_id="ord-5001")]
    assert kinds.count("in_transit_update") == 1


def test_coupon_codes_are_unique_and_unguessable(engine: Runtime, clock: Clock) -> None:
    from notifier.decide.compensation import new_code

    codes = {new_code("PERDON-") for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == len("PERDON-") + 10 for code in codes)
    placed_and_shipped(engine, clock)
    publish_at(engine, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    with session_scope(engine.db_url) as session:
        assert session.query(Compensation).count() == 1
