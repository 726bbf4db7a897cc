"""Payment vouchers: how to pay now, a reminder before the voucher expires (never after), and
the confirmation (with no reminder) once paid."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import notifier
from notifier.contract.events import parse_event_object
from notifier.decide.payments import reminder_at, reminders, spei_transfer
from notifier.decide.policy import PaymentReminders, Policy
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock, app_env, example, notifier_command, settings_for

MX = ZoneInfo("America/Mexico_City")
PLACED = datetime(2026, 11, 10, 10, 0, tzinfo=MX)
EXPIRES = PLACED + timedelta(hours=72)
LEADS = PaymentReminders()


@pytest.fixture
def clock() -> Clock:
    return Clock(PLACED)


@pytest.fixture
def shop(sqlite_url: str, clock: Clock) -> Runtime:
    return build_runtime(settings_for(sqlite_url), clock=clock, console=io.StringIO())


def voucher(method: str = "oxxo", expires: datetime = EXPIRES) -> dict[str, Any]:
    return {"status": "pending", "method": method, "code": "93000123456789012345",
            "voucher_url": "https://pay.example.com/v/MX-5001",
            "expires_at": expires.isoformat()}  # fmt: skip


def placed_pending(
    method: str = "oxxo", expires: datetime = EXPIRES, placed: datetime = PLACED
) -> dict[str, Any]:
    event = example("order_placed") | {"occurred_at": placed.isoformat()}
    event["payment"] = voucher(method, expires)
    event["customer"]["channels"] = ["sms"]
    del event["order"]["ship_by"]  # not late: these tests are about the payment
    return event


def paid(when: datetime) -> dict[str, Any]:
    payment = {"status": "approved", "method": "oxxo"}
    return {"event_id": "evt-paid", "type": "order.paid", "occurred_at": when.isoformat(),
            "order": {"id": "ord-5001"}, "payment": payment}  # fmt: skip


def statuses(runtime: Runtime) -> list[tuple[str, str]]:
    return [(r["kind"], r["status"]) for r in message_records(runtime.db_url, order_id="ord-5001")]


def at(runtime: Runtime, clock: Clock, when: datetime) -> None:
    clock.now = when
    tick(runtime, when)


@pytest.mark.parametrize(
    ("method", "left", "expected_lead"),
    [("oxxo", timedelta(hours=72), timedelta(hours=24)),
     ("boleto", timedelta(days=3), timedelta(hours=24)),
     ("pix", timedelta(hours=1), timedelta(minutes=15)),
     (None, timedelta(hours=30), timedelta(hours=24))],
)  # fmt: skip
def test_the_reminder_comes_the_methods_lead_before_expiry(
    method: str | None, left: timedelta, expected_lead: timedelta
) -> None:
    expires = PLACED + left
    assert reminder_at(expires, method, PLACED, LEADS) == expires - expected_lead


@pytest.mark.parametrize(
    ("method", "left"),
    [("pix", timedelta(minutes=15)), ("pix", timedelta(minutes=5)), ("oxxo", timedelta(hours=20)),
     ("oxxo", timedelta(0)), ("oxxo", -timedelta(hours=1))],
)  # fmt: skip
def test_there_is_never_a_reminder_at_or_after_expiry(method: str, left: timedelta) -> None:
    assert reminder_at(PLACED + left, method, PLACED, LEADS) is None


def test_a_voucher_without_expiry_gets_no_reminder() -> None:
    event = placed_pending()
    del event["payment"]["expires_at"]
    assert reminders(parse_event_object(event), Policy(), "America/Mexico_City") == []


def test_an_oxxo_order_pending_for_72_hours_is_told_now_and_reminded_24_hours_before(
    shop: Runtime, clock: Clock
) -> None:
    notifier.publish(placed_pending(), runtime=shop)
    assert statuses(shop) == [("payment_pending", "sent"), ("payment_reminder", "scheduled")]
    [told] = message_records(shop.db_url, order_id="ord-5001")[:1]
    assert "93000123456789012345" in told["body"] and "OXXO" in told["body"]

    at(shop, clock, EXPIRES - timedelta(hours=24, minutes=1))
    assert ("payment_reminder", "scheduled") in statuses(shop)
    at(shop, clock, EXPIRES - timedelta(hours=24))
    reminder = message_records(shop.db_url, order_id="ord-5001")[1]
    assert (reminder["kind"], reminder["status"]) == ("payment_reminder", "sent")
    assert datetime.fromisoformat(reminder["sent_at"]) == EXPIRES - timedelta(hours=24)


def test_paid_before_the_reminder_confirms_the_order_and_cancels_the_reminder(
    shop: Runtime, clock: Clock
) -> None:
    notifier.publish(placed_pending(), runtime=shop)
    clock.now = PLACED + timedelta(hours=5)
    notifier.publish(paid(clock.now), runtime=shop)
    at(shop, clock, EXPIRES - timedelta(hours=1))
    assert sorted(statuses(shop)) == [
        ("order_confirmed", "sent"), ("payment_pending", "sent"), ("payment_reminder", "canceled"),
    ]  # fmt: skip


def test_an_expired_voucher_gets_nothing_more_even_from_a_late_scheduler(
    shop: Runtime, clock: Clock
) -> None:
    notifier.publish(placed_pending(), runtime=shop)
    at(shop, clock, EXPIRES + timedelta(minutes=1))  # the scheduler was down until after expiry
    reminder = message_records(shop.db_url, order_id="ord-5001")[1]
    assert (reminder["status"], reminder["error"]) == (
        "skipped",
        "skipped: the payment voucher expired",
    )


def test_a_pix_code_gets_its_short_deadline_and_a_reminder_15_minutes_before(
    shop: Runtime, clock: Clock
) -> None:
    expires = PLACED + timedelta(minutes=30)
    notifier.publish(placed_pending("pix", expires), runtime=shop)
    [pending, reminder] = message_records(shop.db_url, order_id="ord-5001")
    assert "Pix" in pending["body"] and "10:30" in pending["body"]
    assert datetime.fromisoformat(reminder["due_at"]) == expires - timedelta(minutes=15)


def test_order_payment_pending_is_reminded_through_the_cli_with_tick_now(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = app_env(sqlite_url, "memory://")
    placed = datetime.now(UTC).replace(microsecond=0)  # `publish` runs on the real clock
    expires = placed + timedelta(hours=72)
    event = placed_pending("oxxo", expires, placed)
    event |= {"type": "order.payment_pending", "event_id": "evt-pp"}
    (tmp_path / "pending.json").write_text(json.dumps(event))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = notifier_command(*args)
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert run("publish", str(tmp_path / "pending.json")).returncode == 0
    # 24 h before the expiry, or earlier when that falls in the quiet hours (the real clock's)
    planned = json.loads(run("messages", "--order", "ord-5001", "--json").stdout)
    due = next(m["due_at"] for m in planned if m["kind"] == "payment_reminder")
    assert datetime.fromisoformat(due) <= expires - timedelta(hours=24)
    assert run("tick", "--now", due).stdout.strip().endswith("handed 1 due message(s) to delivery")
    listed = json.loads(run("messages", "--order", "ord-5001", "--json").stdout)
    assert [(m["kind"], m["status"]) for m in listed] == [
        ("payment_pending", "sent"), ("payment_reminder", "sent"),
    ]  # fmt: skip


def test_an_unpaid_order_past_its_ship_by_is_not_told_it_is_late(
    shop: Runtime, clock: Clock
) -> None:
    event = placed_pending()
    event["order"]["ship_by"] = (PLACED + timedelta(hours=30)).isoformat()
    notifier.publish(event, runtime=shop)
    at(shop, clock, PLACED + timedelta(hours=31))
    assert [kind for kind, _ in statuses(shop)] == ["payment_pending", "payment_reminder"]


def test_a_spei_voucher_names_the_clabe_bank_and_beneficiary_of_the_policy() -> None:
    shop = {"bank": "STP", "beneficiary": "Casa Lupita SA de CV", "clabe": "646180157000000004"}
    account = Policy.model_validate({"spei": shop}).spei
    own = spei_transfer("012180001234567897", account)
    assert (own["clabe"], own["reference"]) == ("012180001234567897", None)
    by_reference = spei_transfer("7001234", account)
    assert by_reference == {"clabe": "646180157000000004", "reference": "7001234",
                            "bank": "STP", "beneficiary": "Casa Lupita SA de CV"}  # fmt: skip


def test_a_spei_clabe_in_the_policy_must_have_18_digits() -> None:
    with pytest.raises(ValueError, match="clabe"):
        Policy.model_validate({"spei": {"clabe": "64618015700000"}})
