"""The pure rules: late-order signals, tiers, watch times, quiet hours and the cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifier.decide.delays import OrderFacts, choose_tier, days_late, next_check, on_eta, on_scan
from notifier.decide.pacing import capped_until, quiet_until
from notifier.decide.policy import DEFAULT_TIERS, FrequencyCap, LateOrders, QuietHours
from notifier.vocabulary import OrderStatus

PROMISE = datetime(2026, 11, 15, 2, tzinfo=UTC)
RULES = LateOrders()


def facts(**changes: object) -> OrderFacts:
    values: dict[str, object] = {
        "status": OrderStatus.IN_TRANSIT, "promised": PROMISE, "ship_by": None, "eta": None,
        "last_scan_at": PROMISE - timedelta(days=3), "notified_eta": None,
    }  # fmt: skip
    values.update(changes)
    return OrderFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("late", "vip", "tier"),
    [(None, False, 1), (1, False, 1), (2, False, 2), (3, False, 2), (4, False, 3),
     (9, False, 3), (1, True, 2), (3, True, 3), (9, True, 3)],
)  # fmt: skip
def test_tiers_follow_days_late_and_vips_get_the_next_one(
    late: int | None, vip: bool, tier: int
) -> None:
    assert choose_tier(late, vip, DEFAULT_TIERS) == tier


def test_days_late_round_up() -> None:
    assert days_late(PROMISE, PROMISE + timedelta(hours=1)) == 1
    assert days_late(PROMISE, PROMISE + timedelta(hours=49)) == 3
    assert days_late(PROMISE, PROMISE - timedelta(hours=1)) is None


def test_only_a_later_eta_than_the_one_told_is_news() -> None:
    later = PROMISE + timedelta(days=2)
    assert on_eta(facts(eta=later)) is not None
    assert on_eta(facts(eta=later, notified_eta=later)) is None
    assert on_eta(facts(eta=later - timedelta(days=1), notified_eta=later)) is None
    assert on_eta(facts(eta=later + timedelta(days=1), notified_eta=later)) is not None
    assert on_eta(facts(eta=later, status=OrderStatus.DELIVERED)) is None


def test_stalled_needs_silence_and_a_near_promise() -> None:
    silent = facts(last_scan_at=PROMISE - timedelta(hours=60))
    assert on_scan(silent, PROMISE - timedelta(hours=30), RULES) is None  # promise not near
    signal = on_scan(silent, PROMISE - timedelta(hours=10), RULES)
    assert signal is not None and signal.reason == "stalled"
    recent = facts(last_scan_at=PROMISE - timedelta(hours=20))
    assert on_scan(recent, PROMISE - timedelta(hours=10), RULES) is None


def test_watch_time_is_ship_by_before_shipping_then_the_stall_threshold() -> None:
    ship_by = PROMISE - timedelta(days=3)
    assert next_check(facts(status=OrderStatus.PLACED, ship_by=ship_by), RULES) == ship_by
    scanned = PROMISE - timedelta(days=3)
    assert next_check(facts(last_scan_at=scanned), RULES) == PROMISE - timedelta(hours=24)
    assert next_check(facts(status=OrderStatus.DELIVERED), RULES) is None


def test_quiet_hours_end_next_morning_in_the_customer_zone() -> None:
    night = datetime(2026, 11, 10, 3, 30, tzinfo=UTC)  # 21:30 in Mexico City
    assert quiet_until(night, "America/Mexico_City", QuietHours()) == datetime(
        2026, 11, 10, 14, 0, tzinfo=UTC
    )
    assert quiet_until(night, "Asia/Tokyo", QuietHours()) is None  # 12:30 in Tokyo


def test_quiet_hours_respect_a_daylight_saving_change() -> None:
    # São Paulo has no DST now; New York leaves DST on 2026-11-01 at 02:00
    before_change = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 22:00 EDT on Oct 31
    resume = quiet_until(before_change, "America/New_York", QuietHours())
    assert resume == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_the_cap_waits_for_the_oldest_counted_message_to_age_out() -> None:
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    cap = FrequencyCap()
    assert capped_until(now, [], cap) is None
    assert capped_until(now, [now - timedelta(hours=25)], cap) is None
    sent = now - timedelta(hours=3)
    assert capped_until(now, [sent], cap) == sent + timedelta(hours=24)
