"""Payment reminders at decent hours: the quiet hours in the customer's time zone move a
reminder earlier, never later (but to the end of the quiet hours when that is the only time
left before the deadline), so it always lands before the voucher expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifier.contract.events import parse_event_object
from notifier.decide.pacing import quiet_until, reminder_time, reminder_wait
from notifier.decide.payments import reminders
from notifier.decide.policy import PaymentReminders, Policy, QuietHours
from tests.conftest import example

MX = ZoneInfo("America/Mexico_City")
SP = ZoneInfo("America/Sao_Paulo")
POLICY = Policy()
QUIET = QuietHours()


def reminded(
    placed: datetime, expires: datetime, method: str = "oxxo", zone: str = "America/Mexico_City",
    policy: Policy = POLICY,
) -> datetime | None:  # fmt: skip
    raw: dict[str, Any] = example("order_placed") | {"occurred_at": placed.isoformat()}
    raw["payment"] = {"status": "pending", "method": method, "code": "93000123456789012345",
                      "expires_at": expires.isoformat()}  # fmt: skip
    later = reminders(parse_event_object(raw), policy, zone)
    return later[0].due_at if later else None


def test_a_voucher_expiring_at_23_59_is_reminded_the_evening_before_not_at_midnight() -> None:
    due = reminded(datetime(2026, 11, 10, 10, tzinfo=MX), datetime(2026, 11, 13, 23, 59, tzinfo=MX))
    assert due == datetime(2026, 11, 12, 20, tzinfo=MX)


def test_a_boleto_for_a_brazilian_keeps_to_sao_paulos_evening() -> None:
    expires = datetime(2026, 11, 13, 23, 59, tzinfo=SP)
    due = reminded(datetime(2026, 11, 10, 10, tzinfo=SP), expires, "boleto", "America/Sao_Paulo")
    assert due == datetime(2026, 11, 12, 20, tzinfo=SP)


def test_a_reminder_that_would_fall_after_midnight_goes_the_evening_before() -> None:
    expires = datetime(2026, 11, 13, 4, tzinfo=MX)  # PSE: 2 h before is 02:00
    due = reminded(datetime(2026, 11, 12, 9, tzinfo=MX), expires, "pse")
    assert due == datetime(2026, 11, 12, 20, tzinfo=MX)


def test_a_reminder_in_the_day_keeps_its_lead() -> None:
    placed = datetime(2026, 11, 10, 10, tzinfo=MX)
    assert reminded(placed, placed + timedelta(minutes=30), "pix") == placed + timedelta(minutes=15)


def test_a_pix_code_with_its_15_minute_lead_at_dawn_goes_when_the_quiet_hours_end() -> None:
    placed = datetime(2026, 11, 10, 7, 40, tzinfo=MX)
    expires = datetime(2026, 11, 10, 8, 10, tzinfo=MX)  # 15 min before is 07:55: quiet
    assert reminded(placed, expires, "pix") == datetime(2026, 11, 10, 8, tzinfo=MX)


def test_a_pix_code_expiring_in_the_night_gets_only_its_instructions() -> None:
    placed = datetime(2026, 11, 10, 23, tzinfo=MX)
    assert reminded(placed, placed + timedelta(minutes=30), "pix") is None


def test_a_reminder_due_in_the_night_waits_for_the_morning_only_before_the_deadline() -> None:
    night = datetime(2026, 11, 10, 22, tzinfo=MX)
    morning = datetime(2026, 11, 11, 8, tzinfo=MX)
    assert reminder_wait(night, datetime(2026, 11, 11, 10, tzinfo=MX), "America/Mexico_City",
                         QUIET) == morning  # fmt: skip
    assert reminder_wait(night, datetime(2026, 11, 10, 23, 59, tzinfo=MX),
                         "America/Mexico_City", QUIET) is None  # fmt: skip
    day = datetime(2026, 11, 11, 12, tzinfo=MX)
    assert reminder_wait(day, day + timedelta(hours=1), "America/Mexico_City", QUIET) is None


ZONES = st.sampled_from(["America/Mexico_City", "America/Sao_Paulo", "America/Bogota",
                         "America/New_York", "Europe/Madrid"])  # fmt: skip
MOMENTS = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
NIGHTS = st.sampled_from([("21:00", "08:00"), ("22:30", "07:00"), ("13:00", "15:00"),
                          ("20:00", "19:30")])  # fmt: skip


@given(
    MOMENTS, st.timedeltas(timedelta(minutes=1), timedelta(days=4)),
    st.sampled_from(["card", "oxxo", "boleto", "pix", "spei", "pse", "efecty", "other"]), ZONES,
    NIGHTS,
)  # fmt: skip
def test_a_reminder_is_never_in_the_quiet_hours_never_after_the_deadline(
    placed: datetime, left: timedelta, method: str, zone: str, night: tuple[str, str]
) -> None:
    quiet = QuietHours(start=night[0], end=night[1])
    expires = placed + left
    due = reminded(placed, expires, method, zone, Policy(quiet_hours=quiet))
    if due is None:
        return
    assert placed < due < expires
    assert quiet_until(due, zone, quiet) is None
    wanted = expires - PaymentReminders().before(method)
    assert due <= wanted or due == quiet_until(wanted, zone, quiet)  # earlier, or dawn at most


def mx(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MX)


@pytest.mark.parametrize(
    ("start", "end", "wanted", "due"),
    [("21:00", "08:00", mx(13, 2), mx(12, 20)), ("13:00", "15:00", mx(12, 14), mx(12, 12)),
     ("20:00", "19:30", mx(12, 22), mx(12, 19, 59))],  # a window of 30 minutes: its last minute
)  # fmt: skip
def test_a_moved_reminder_goes_an_hour_before_the_quiet_hours_start(
    start: str, end: str, wanted: datetime, due: datetime
) -> None:
    quiet = QuietHours(start=start, end=end)
    moved = reminder_time(wanted, mx(10, 0), wanted + timedelta(hours=3), "America/Mexico_City",
                          quiet)  # fmt: skip
    assert moved == due
