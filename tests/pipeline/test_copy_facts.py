"""The facts a shop's copy needs, as the pipeline stores them with each message: the choices a
delay offers, what a cancellation after a delay means, an item out of stock, coupons that
state their terms, and payment reminders at decent hours."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import notifier
from notifier.decide.policy import Incentive, Winback
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


def test_a_brazilian_customers_coupon_says_sorry_in_portuguese_and_states_its_expiry(
    shop: Runtime, clock: Clock
) -> None:
    placed, shipped = example("order_placed"), example("order_shipped")
    placed["customer"]["locale"] = shipped["customer"]["locale"] = "pt-BR"
    publish_at(shop, clock, at(10, 15), placed)
    publish_at(shop, clock, at(11, 11), shipped)
    publish_at(shop, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    [notice] = messages(shop, "delay_notice")
    offer = facts(shop, notice)["offer"]
    assert offer["coupon_code"].startswith("DESCULPA-") and "PERDON" not in notice["body"]
    issued = at(13, 4)  # the simulated clock, not the machine's
    assert datetime.fromisoformat(offer["expires_at"]) == issued + timedelta(days=30)
    assert offer["min_purchase"] is None


def test_a_customer_without_a_locale_gets_the_default_locales_prefix(
    shop: Runtime, clock: Clock
) -> None:
    placed, shipped = example("order_placed"), example("order_shipped")
    del placed["customer"]["locale"], shipped["customer"]["locale"]
    publish_at(shop, clock, at(10, 15), placed)
    publish_at(shop, clock, at(11, 11), shipped)
    publish_at(shop, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    [notice] = messages(shop, "delay_notice")
    assert facts(shop, notice)["offer"]["coupon_code"].startswith("PERDON-")  # es-MX


def test_a_winback_coupon_states_its_expiry_and_least_purchase_in_the_last_orders_currency(
    shop: Runtime, clock: Clock
) -> None:
    incentive = Incentive.model_validate(
        {"percent_off": 15, "coupon_code": "TEEXTRANAMOS15", "valid_for": "14d",
         "min_purchase": {"MXN": "800", "BRL": "150"}}
    )  # fmt: skip
    shop.policy = shop.policy.model_copy(update={"winback": Winback(incentive=incentive)})
    placed = example("order_placed")
    placed["customer"]["channels"] = ["sms"]
    del placed["order"]["ship_by"]
    publish_at(shop, clock, at(10, 10), placed)
    publish_at(shop, clock, at(13, 10), example("shipment_delivered"))
    later = at(10, 10) + timedelta(days=61)
    tick_at(shop, clock, later)
    [message] = [r for r in message_records(shop.db_url, customer_id="cus-100")
                 if r["kind"] == "winback"]  # fmt: skip
    offered = facts(shop, message)["incentive"]
    assert datetime.fromisoformat(offered["expires_at"]) == later + timedelta(days=14)
    assert (offered["min_purchase"], offered["currency"]) == ("800", "MXN")


def test_a_cancellation_after_the_delay_notice_we_sent_says_the_refund_is_whole(
    shop: Runtime, clock: Clock
) -> None:
    placed_and_shipped(shop, clock)
    publish_at(shop, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    assert [r["status"] for r in messages(shop, "delay_notice")] == ["sent"]
    publish_at(shop, clock, at(13, 9), example("order_canceled"))
    [canceled] = messages(shop, "order_canceled")
    told = facts(shop, canceled)["cancellation"]
    assert told["after_delay"] is True and told["unpaid"] is False
    assert (told["refund_amount"], told["currency"]) == ("1299.00", "MXN")


def test_a_cancellation_whose_delay_notice_never_went_out_is_a_plain_one(
    shop: Runtime, clock: Clock
) -> None:
    placed, shipped = example("order_placed"), example("order_shipped")
    placed["customer"]["consent"] = shipped["customer"]["consent"] = {
        "sms": False, "whatsapp": False, "email": False, "marketing": False,
    }  # fmt: skip
    publish_at(shop, clock, at(10, 15), placed)
    publish_at(shop, clock, at(11, 11), shipped)
    publish_at(shop, clock, at(13, 4), eta_update("evt-eta-1", "2026-11-16T18:00:00-06:00"))
    assert [r["status"] for r in messages(shop, "delay_notice")] == ["skipped"]
    publish_at(shop, clock, at(13, 9), example("order_canceled"))
    [canceled] = messages(shop, "order_canceled")
    told = facts(shop, canceled)["cancellation"]
    assert (told["after_delay"], told["refund_amount"]) == (False, None)


def test_an_order_canceled_for_an_expired_payment_links_to_ordering_again(
    shop: Runtime, clock: Clock
) -> None:
    placed = example("order_placed")
    placed["payment"] = {"status": "pending", "method": "oxxo", "code": "9300012345",
                         "expires_at": at(12, 23, 59).isoformat()}  # fmt: skip
    publish_at(shop, clock, at(10, 15), placed)
    gone = example("order_canceled")
    gone["order"]["cancel_reason"] = "payment_expired"
    publish_at(shop, clock, at(13, 0, 5), gone)
    [canceled] = messages(shop, "order_canceled")
    told = facts(shop, canceled)["cancellation"]
    assert (told["unpaid"], told["refund_amount"], told["reason"]) == (
        True,
        None,
        "payment_expired",
    )
    assert told["order_again_url"] == "https://shop.example.com/orders/MX-5001"


def test_an_item_out_of_stock_stores_its_refund_the_rest_and_the_deadline_to_answer(
    shop: Runtime, clock: Clock
) -> None:
    placed = example("order_placed")
    placed["order"]["items"].append(
        {"sku": "SKU-9", "name": "Calcetines", "quantity": 3, "unit_price": "89.50"}
    )
    publish_at(shop, clock, at(10, 15), placed)
    publish_at(shop, clock, at(10, 16), example("item_out_of_stock"))
    [notice] = messages(shop, "out_of_stock")
    missing = facts(shop, notice)["out_of_stock"]
    assert (missing["refund_amount"], missing["currency"]) == ("1299.00", "MXN")
    assert missing["rest_ships"] is True and missing["if_no_answer"] == "refund"
    assert datetime.fromisoformat(missing["answer_by"]) == at(12, 16)
    assert missing["alternatives_url"] == "https://shop.example.com/orders/MX-5001"


def pending(expires: datetime, method: str = "oxxo") -> dict[str, Any]:
    event = example("order_placed")
    event["payment"] = {"status": "pending", "method": method, "code": "93000123456789012345",
                        "expires_at": expires.isoformat()}  # fmt: skip
    event["customer"]["channels"] = ["sms"]
    del event["order"]["ship_by"]
    return event


def reminder(shop: Runtime) -> dict[str, Any]:
    [found] = messages(shop, "payment_reminder")
    return found


def test_an_oxxo_voucher_expiring_at_23_59_is_reminded_at_20_00_the_day_before(
    shop: Runtime, clock: Clock
) -> None:
    publish_at(shop, clock, at(10, 10), pending(at(13, 23, 59)))
    assert datetime.fromisoformat(reminder(shop)["due_at"]) == at(12, 20)
    tick_at(shop, clock, at(12, 19, 59))
    assert reminder(shop)["status"] == "scheduled"
    tick_at(shop, clock, at(12, 20))
    sent = reminder(shop)
    assert sent["status"] == "sent"
    assert datetime.fromisoformat(sent["sent_at"]) == at(12, 20)


def test_a_reminder_found_late_in_the_night_goes_at_once_when_its_deadline_is_before_dawn(
    shop: Runtime, clock: Clock
) -> None:
    publish_at(shop, clock, at(10, 10), pending(at(12, 23, 30), "pse"))  # 2 h before: 21:30
    assert datetime.fromisoformat(reminder(shop)["due_at"]) == at(12, 20)
    tick_at(shop, clock, at(12, 22))  # the scheduler was down at 20:00
    sent = reminder(shop)
    assert (sent["status"], datetime.fromisoformat(sent["sent_at"])) == ("sent", at(12, 22))


def test_a_reminder_found_late_in_the_night_waits_for_dawn_when_the_deadline_allows(
    shop: Runtime, clock: Clock
) -> None:
    publish_at(shop, clock, at(11, 10), pending(at(13, 9, 30), "pse"))  # 2 h before: 07:30
    assert datetime.fromisoformat(reminder(shop)["due_at"]) == at(12, 20)
    tick_at(shop, clock, at(12, 22))  # the scheduler was down at 20:00
    assert reminder(shop)["status"] == "scheduled"
    assert "quiet hours" in (reminder(shop)["error"] or "")
    tick_at(shop, clock, at(13, 8))
    sent = reminder(shop)
    assert (sent["status"], datetime.fromisoformat(sent["sent_at"])) == ("sent", at(13, 8))


def test_a_pix_code_at_dawn_is_reminded_when_the_quiet_hours_end_before_it_expires(
    shop: Runtime, clock: Clock
) -> None:
    publish_at(shop, clock, at(11, 7, 40), pending(at(11, 8, 10), "pix"))
    assert datetime.fromisoformat(reminder(shop)["due_at"]) == at(11, 8)
