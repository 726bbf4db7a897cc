"""Prometheus metrics: what came in, what went out, how long sends took, what is waiting.

Counters and histograms live in the process that does the work. With several processes (the
API and `notifier worker`'s processes) set PROMETHEUS_MULTIPROC_DIR to one shared, empty folder
and `/metrics` adds them up (prometheus-client's multiprocess mode). The backlog and queue depth
are read from the database and Redis at scrape time, so they are right whoever asks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from notifier.db import session_scope
from notifier.errors import FieldProblem
from notifier.models import Notification, NotificationStatus

if TYPE_CHECKING:
    from notifier.runtime import Runtime

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

INDEX = re.compile(r"\.\d+(?=\.|$)|^\[\d+\]\.")


def field_label(problem: FieldProblem) -> str:
    """`order.items.3.sku` → `order.items.*.sku`: one series per field, not per position."""
    return INDEX.sub(lambda m: ".*" if m.group().startswith(".") else "", problem.field)


def event_type_of(raw: Any) -> str:
    """The event's type for labelling a rejection, or `unknown`."""
    value = raw.get("type") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 40 else "unknown"


def count_rejection(raw: Any, problems: list[FieldProblem]) -> None:
    """One rejected event; labelled by its first bad field."""
    field = field_label(problems[0]) if problems else "(body)"
    EVENTS_REJECTED.labels(event_type_of(raw), field).inc()


class BacklogCollector(Collector):
    """Scheduled messages waiting (all, and already due) and the broker's queue depth."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._runtime.clock()
        with session_scope(self._runtime.db_url) as session:
            waiting = session.execute(
                select(func.count()).where(Notification.status == NotificationStatus.SCHEDULED)
            ).scalar_one()
            due = session.execute(
                select(func.count()).where(
                    Notification.status == NotificationStatus.SCHEDULED,
                    Notification.due_at <= now,
                )
            ).scalar_one()
        backlog = GaugeMetricFamily(
            "notifier_scheduled_backlog", "Scheduled messages, by whether they are due.",
            labels=["due"],
        )  # fmt: skip
        backlog.add_metric(["false"], waiting - due)
        backlog.add_metric(["true"], due)
        yield backlog
        depth = GaugeMetricFamily("notifier_queue_depth", "Messages waiting in the broker.")
        depth.add_metric([], self._runtime.dispatcher.depth())
        yield depth


def exposition(runtime: Runtime) -> bytes:
    """The text format for `/metrics`: this process's metrics (or every process's, in
    multiprocess mode) plus the backlog read at scrape time."""
    work: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        work = CollectorRegistry()
        MultiProcessCollector(work)  # type: ignore[no-untyped-call]
    backlog = CollectorRegistry()
    backlog.register(BacklogCollector(runtime))
    return generate_latest(work) + generate_latest(backlog)
