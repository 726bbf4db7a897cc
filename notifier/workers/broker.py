"""The broker and its middleware, in one place; and how work is handed to it.

`memory://` runs every task inside the calling process, synchronously, after the caller's commit;
`redis://` enqueues the row id to dramatiq on Redis, and `notifier worker` does the work. The queue
carries ids only: the database is the truth.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from notifier.ports import (
    DELIVER,
    DELIVER_BATCH,
    FORWARD,
    PLATFORM_FETCH,
    PROCESS_EVENT,
    PROCESS_EVENTS,
    SHOP_ACTION,
    SHOP_WEBHOOKS,
    Dispatcher,
)

__all__ = [
    "DELIVER",
    "DELIVER_BATCH",
    "FORWARD",
    "PLATFORM_FETCH",
    "PROCESS_EVENT",
    "PROCESS_EVENTS",
    "SHOP_ACTION",
    "SHOP_WEBHOOKS",
    "Dispatcher",
]

QUEUE = "default"

# A killed worker's unacked messages return after heartbeat_timeout, at the next maintenance pass
# (a few cheap Redis calls piggybacked on a broker command). dramatiq counts the chance per
# million commands (its default, 1,000, is one in a thousand); one command in ten makes the pass
# come within seconds even for idle workers, which poll about once a second.
HEARTBEAT_TIMEOUT_MS = 15_000
MAINTENANCE_CHANCE = 100_000


def middleware() -> list[dramatiq.Middleware]:
    """Dramatiq's middleware, in order, with our limits."""
    return [
        AgeLimit(),  # counts from the first send: we set no max_age, so nothing expires
        TimeLimit(time_limit=60_000),  # one event or one send never takes a minute
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=8, min_backoff=1_000, max_backoff=300_000),
    ]


def make_redis_broker(url: str) -> RedisBroker:
    """Dramatiq's Redis broker with our middleware and failure-detection settings."""
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=url,
        middleware=middleware(),
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    broker.declare_queue(QUEUE)
    return broker


class DramatiqDispatcher:
    """Enqueues to dramatiq by actor name, so callers need not declare the actors."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker

    def send(self, task: str, row_id: int) -> None:
        self._enqueue(task, row_id)

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        self._enqueue(task, list(row_ids))

    def _enqueue(self, task: str, argument: int | list[int]) -> None:
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=QUEUE, actor_name=task, args=(argument,), kwargs={}, options={}
        )
        self.broker.enqueue(message)

    def ping(self) -> None:
        self.broker.client.ping()

    def depth(self) -> int:
        waiting: int = self.broker.client.llen(f"{self.broker.namespace}:{QUEUE}")
        return waiting


class InlineDispatcher:
    """Runs tasks in this process, in the order they were handed over, before returning.

    A task handed over while another runs waits its turn, so an event is processed and
    committed before the messages it planned are delivered.
    """

    def __init__(self, handlers: dict[str, Callable[[Any], Any]]) -> None:
        self._handlers = handlers
        self._local = threading.local()  # each calling thread drains its own tasks

    def send(self, task: str, row_id: int) -> None:
        self._run(task, row_id)

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        self._run(task, list(row_ids))

    def _run(self, task: str, argument: int | list[int]) -> None:
        pending: deque[tuple[str, Any]] | None = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append((task, argument))
            return
        pending = self._local.pending = deque([(task, argument)])
        try:
            while pending:
                name, pending_argument = pending.popleft()
                self._handlers[name](pending_argument)
        finally:
            self._local.pending = None

    def ping(self) -> None:
        """Nothing to reach: the work runs here."""

    def depth(self) -> int:
        """Nothing waits: the work runs as it is handed over."""
        return 0
