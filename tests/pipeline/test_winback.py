"""Win-back: a customer whose last order is 60+ days old gets one "we miss you" at the daily
scan, never again within 90 days, never without consent, an open conversation or an order in
progress; two schedulers never send it twice."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import notifier
from notifier.care import handoffs
from notifier.care.inbound import handle_inbound
from notifier.decide import winback
from notifier.decide.policy import Incentive, Policy, Winback
from notifier.pipeline.scan import scan_winback
from notifier.store.db import session_scope
from notifier.store.models import Customer
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock, example, settings_for

MX = ZoneInfo("America/Mexico_City")
TODAY = datetime(2026, 11, 10, 10, 0, tzinfo=MX)
RULES = Winback()


@pytest.fixture
def clock() -> Clock:
    return Clock(TODAY)


def shop_for(url: str, clock: Clock) -> Runtime:
    runtime = build_runtime(settings_for(url), clock=clock, console=io.StringIO())
    incentive = Incentive(percent_off=15, coupon_code="TEEXTRANAMOS15")
    rules = Winback(incentive=incentive, url="https://shop.example.com/")
    runtime.policy = runtime.policy.model_copy(update={"winback": rules})
    return runtime


@pytest.fixture
def shop(sqlite_url: str, clock: Clock) -> Runtime:
    return shop_for(sqlite_url, clock)


def ordered_days_ago(runtime: Runtime, clock: Clock, days: int, **who: Any) -> None:
    """cus-100 placed ord-5001 `days` ago (and it was delivered); consent from `who`."""
    when = TODAY - timedelta(days=days)
    event = example("order_placed") | {"occurred_at": when.isoformat()}
    event["customer"] |= {"channels": ["sms"], **who}
    event["order"] |= {"placed_at": when.isoformat()}
    del event["order"]["ship_by"]
    clock.now = when
    notifier.publish(event, runtime=runtime)
    delivered = example("shipment_delivered") | {
        "occurred_at": (when + timedelta(days=3)).isoformat()
    }
    clock.now = when + timedelta(days=3)
    notifier.publish(delivered, runtime=runtime)


def winbacks(runtime: Runtime) -> list[dict[str, Any]]:
    records = message_records(runtime.db_url, customer_id="cus-100")
    return [r for r in records if r["kind"] == "winback"]


def at(runtime: Runtime, clock: Clock, when: datetime) -> None:
    clock.now = when
    tick(runtime, when)


def lapsed(days: int, **facts: Any) -> winback.Lapsed:
    values: dict[str, Any] = {"last_order_at": TODAY - timedelta(days=days),
                              "last_winback_at": None, "marketing": True} | facts  # fmt: skip
    return winback.Lapsed(**values)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [(lapsed(61), None),
     (lapsed(60), None),
     (lapsed(59), "ordered or won back recently"),
     (lapsed(200, last_winback_at=TODAY - timedelta(days=89)), "ordered or won back recently"),
     (lapsed(200, last_winback_at=TODAY - timedelta(days=90)), None),
     (lapsed(61, marketing=False), "no marketing consent"),
     (lapsed(61, open_handoff=True), "a person has their conversation open"),
     (lapsed(61, order_in_progress=True), "an order is in progress"),
     (winback.Lapsed(None, None, True), "no order known")],
)  # fmt: skip
def test_win_back_eligibility(facts: winback.Lapsed, reason: str | None) -> None:
    assert winback.why_not(facts, TODAY, RULES) == reason


def test_a_customer_not_written_to_is_looked_at_again_after_the_recheck() -> None:
    assert winback.next_look(lapsed(61, marketing=False), TODAY, RULES) == TODAY + RULES.recheck
    assert winback.next_look(lapsed(10), TODAY, RULES) == TODAY + timedelta(days=50)


def test_a_customer_whose_last_order_was_61_days_ago_gets_one_winback_and_none_the_next_day(
    shop: Runtime, clock: Clock
) -> None:
    ordered_days_ago(shop, clock, 61)
    at(shop, clock, TODAY)
    [sent] = winbacks(shop)
    assert sent["status"] == "sent"
    assert "TEEXTRANAMOS15" in sent["body"] and "Te extrañamos" in sent["body"]
    at(shop, clock, TODAY + timedelta(hours=2))  # the same day: the scan already ran
    at(shop, clock, TODAY + timedelta(days=1))  # the next daily scan
    at(shop, clock, TODAY + timedelta(days=89))
    assert len(winbacks(shop)) == 1


def test_a_customer_who_ordered_59_days_ago_waits_until_the_60th_day(
    shop: Runtime, clock: Clock
) -> None:
    ordered_days_ago(shop, clock, 59)
    at(shop, clock, TODAY)
    assert winbacks(shop) == []
    at(shop, clock, TODAY + timedelta(days=1))
    assert [r["status"] for r in winbacks(shop)] == ["sent"]


def test_no_winback_without_marketing_consent(shop: Runtime, clock: Clock) -> None:
    consent = {"sms": True, "whatsapp": True, "email": True, "marketing": False}
    ordered_days_ago(shop, clock, 61, consent=consent)
    at(shop, clock, TODAY)
    assert winbacks(shop) == []
    with session_scope(shop.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and customer.winback_at == TODAY + RULES.recheck


def customer_times(runtime: Runtime) -> tuple[datetime | None, datetime | None]:
    with session_scope(runtime.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None
        return customer.winback_at, customer.last_winback_at


def test_a_winback_skipped_at_send_time_is_looked_at_again_after_the_recheck(
    shop: Runtime, clock: Clock
) -> None:
    ordered_days_ago(shop, clock, 61)
    clock.now = TODAY - timedelta(hours=1)
    handle_inbound(shop, "+525512345678", "STOP")  # the only channel: nowhere to send
    at(shop, clock, TODAY)
    [skipped] = winbacks(shop)
    assert skipped["status"] == "skipped"
    assert customer_times(shop) == (TODAY + RULES.recheck, None)  # not 90 days of silence

    clock.now = TODAY + timedelta(days=3)
    handle_inbound(shop, "+525512345678", "START")
    at(shop, clock, TODAY + RULES.recheck)
    assert [r["status"] for r in winbacks(shop)] == ["skipped", "sent"]
    assert customer_times(shop) == (TODAY + RULES.recheck + RULES.again, TODAY + RULES.recheck)


def test_a_winback_still_on_its_way_is_not_planned_twice() -> None:
    facts = lapsed(200, winback_pending=True)
    assert winback.why_not(facts, TODAY, RULES) == "a win-back is already on its way"


def test_no_winback_after_the_customer_unsubscribed(shop: Runtime, clock: Clock) -> None:
    ordered_days_ago(shop, clock, 61)
    with session_scope(shop.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None
        customer.opted_out = ["marketing"]
    at(shop, clock, TODAY)
    assert winbacks(shop) == []


def test_no_winback_while_a_person_has_the_conversation_open(shop: Runtime, clock: Clock) -> None:
    ordered_days_ago(shop, clock, 61)
    clock.now = TODAY - timedelta(hours=1)
    handoffs.receive(shop, "sms", "+525512345678", "hola", "cus-100")
    at(shop, clock, TODAY)
    assert winbacks(shop) == []


def test_no_winback_while_an_order_is_in_progress(shop: Runtime, clock: Clock) -> None:
    ordered_days_ago(shop, clock, 61)
    pending = example("order_placed") | {"event_id": "evt-new", "occurred_at": TODAY.isoformat()}
    pending["order"] = {"id": "ord-6000", "placed_at": (TODAY - timedelta(days=61)).isoformat()}
    pending["payment"] = {"status": "pending", "method": "oxxo"}
    clock.now = TODAY
    notifier.publish(pending, runtime=shop)  # placed_at as old as the last: no newer order
    at(shop, clock, TODAY)
    assert winbacks(shop) == []


def test_a_new_order_moves_the_winback_sixty_days_on(shop: Runtime, clock: Clock) -> None:
    ordered_days_ago(shop, clock, 61)
    newer = example("order_placed") | {"event_id": "evt-new", "occurred_at": TODAY.isoformat()}
    newer["order"] = {"id": "ord-6000", "placed_at": (TODAY - timedelta(days=1)).isoformat()}
    clock.now = TODAY
    notifier.publish(newer, runtime=shop)
    with session_scope(shop.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and customer.winback_at == TODAY + timedelta(days=59)


def test_two_schedulers_scanning_the_same_day_send_one_winback(
    postgres_url: str, clock: Clock
) -> None:
    first, second = shop_for(postgres_url, clock), shop_for(postgres_url, clock)
    ordered_days_ago(first, clock, 61)
    clock.now = TODAY
    barrier = threading.Barrier(2)

    def scan(runtime: Runtime) -> None:
        barrier.wait()
        scan_winback(runtime, TODAY)

    threads = [threading.Thread(target=scan, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r["status"] for r in winbacks(first)] == ["sent"]


def test_the_policy_knobs_have_the_documented_defaults() -> None:
    rules = Policy().winback
    assert (rules.after, rules.again, rules.incentive) == (
        timedelta(days=60),
        timedelta(days=90),
        None,
    )
