"""`/metrics`: the counters of `notifier.metrics` plus what is waiting, read at scrape time
from the database (scheduled messages) and the broker (queue depth)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from notifier.ports import Core
from notifier.store import notifications
from notifier.store.db import session_scope


class BacklogCollector(Collector):
    """Scheduled messages waiting (all, and already due) and the broker's queue depth."""

    def __init__(self, runtime: Core) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._runtime.clock()
        with session_scope(self._runtime.db_url) as session:
            waiting, due = notifications.scheduled_backlog(session, now)
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


def exposition(runtime: Core) -> bytes:
    """The text format for `/metrics`: this process's metrics (or every process's, in
    multiprocess mode) plus the backlog read at scrape time."""
    work: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        work = CollectorRegistry()
        MultiProcessCollector(work)  # type: ignore[no-untyped-call]
    backlog = CollectorRegistry()
    backlog.register(BacklogCollector(runtime))
    return generate_latest(work) + generate_latest(backlog)
