"""Customer facts field by field, in `occurred_at` order (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from notifier.decide.customers import incoming_facts, newer_facts, split_consent

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 6, tzinfo=UTC)


def test_an_older_fact_leaves_a_newer_one_and_fills_a_gap() -> None:
    held = {"phone": FRIDAY.isoformat(), "consent.marketing": FRIDAY.isoformat()}
    incoming = incoming_facts({"phone": "+1", "name": "Ana", "email": None}, {"marketing": True})
    taken, times = newer_facts(held, incoming, MONDAY)
    assert taken == {"name": "Ana"}
    assert times == held | {"name": MONDAY.isoformat()}


def test_a_newer_fact_wins_and_consent_comes_back_apart() -> None:
    held = {"consent.marketing": MONDAY.isoformat()}
    taken, _ = newer_facts(held, incoming_facts({}, {"marketing": False}), FRIDAY)
    assert split_consent(taken) == ({}, {"marketing": False})
