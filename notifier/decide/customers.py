"""Facts about a customer, taken in `occurred_at` order, field by field (pure).

Each field (and each consent key, as `consent.<key>`) remembers when the fact it holds was
true; an event older than that leaves the field alone, so a replayed older event neither
overwrites a newer phone nor turns marketing consent back on. A field nobody set yet is taken
from any event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

CONSENT = "consent."


def incoming_facts(fields: Mapping[str, Any], consent: Mapping[str, bool] | None) -> dict[str, Any]:
    """An event's customer facts, flat: its fields and `consent.<key>` for each consent."""
    flat = {name: value for name, value in fields.items() if value is not None}
    return flat | {CONSENT + key: value for key, value in (consent or {}).items()}


def newer_facts(
    facts_at: Mapping[str, str], incoming: Mapping[str, Any], at: datetime
) -> tuple[dict[str, Any], dict[str, str]]:
    """The incoming facts not older than what the customer holds, and the fields' new times."""
    taken: dict[str, Any] = {}
    times = dict(facts_at)
    for name, value in incoming.items():
        seen = facts_at.get(name)
        if seen is None or datetime.fromisoformat(seen) <= at:
            taken[name] = value
            times[name] = at.isoformat()
    return taken, times


def split_consent(facts: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, bool]]:
    """Flat facts back into (fields, consent)."""
    fields = {n: v for n, v in facts.items() if not n.startswith(CONSENT)}
    consent = {n.removeprefix(CONSENT): v for n, v in facts.items() if n.startswith(CONSENT)}
    return fields, consent
