"""Prometheus metrics: what came in, what went out, how long sends took, what is waiting.

Counters and histograms live in the process that does the work. With several processes (the
API and `notifier worker`'s processes) set PROMETHEUS_MULTIPROC_DIR to one shared, empty folder
and `/metrics` adds them up (prometheus-client's multiprocess mode). The backlog and queue depth
are read from the database and Redis at scrape time (`http/metrics.py`), so they are right
whoever asks.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from prometheus_client import Counter, Histogram

from notifier.errors import FieldProblem

EVENTS_ACCEPTED = Counter(
    "notifier_events_accepted_total", "Events accepted, by type.", ["type", "duplicate"]
)
EVENTS_REJECTED = Counter(
    "notifier_events_rejected_total", "Events rejected, by type and bad field.", ["type", "field"]
)
MESSAGES = Counter(
    "notifier_messages_total",
    "Message outcomes recorded, by kind, channel and status.",
    ["kind", "channel", "status"],
)
SEND_SECONDS = Histogram(
    "notifier_send_seconds",
    "Time a channel took to accept a message.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PROVIDER_ERRORS = Counter(
    "notifier_provider_errors_total", "Provider errors, by channel and code.", ["channel", "code"]
)
COST_USD = Counter(
    "notifier_estimated_cost_usd_total",
    "Estimated cost of the messages sent (USD, from the policy's price table), by channel and"
    " destination country.",
    ["channel", "country"],
)

INDEX = re.compile(r"\.\d+(?=\.|$)|^\[\d+\]\.")


def field_label(problem: FieldProblem) -> str:
    """`order.items.3.sku` → `order.items.*.sku`: one series per field, not per position."""
    return INDEX.sub(lambda m: ".*" if m.group().startswith(".") else "", problem.field)


def event_type_of(raw: Any, known: Collection[str]) -> str:
    """The event's type for labelling a rejection when it is one of the `known` types, else
    `unknown`: a label takes only known values, or any string would make a new series."""
    value = raw.get("type") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and value in known else "unknown"


def count_rejection(
    raw: Any, problems: list[FieldProblem], known_types: Collection[str] = ()
) -> None:
    """One rejected event; labelled by its type (when known) and its first bad field."""
    field = field_label(problems[0]) if problems else "(body)"
    EVENTS_REJECTED.labels(event_type_of(raw, known_types), field).inc()
