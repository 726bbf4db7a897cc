"""The narrow things the rooms are handed instead of the whole runtime: a clock, a dispatcher
that hands a task by name to whoever does the work, and the task names.

Part of the ground: it imports nothing of notifier but the config, and every layer may import it.
`workers/runtime.py` builds the one object that has all of these (the composition root).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from notifier.config import Settings

Clock = Callable[[], datetime]

PROCESS_EVENT = "events.process"
PROCESS_EVENTS = "events.process_batch"
DELIVER = "notifications.deliver"
DELIVER_BATCH = "notifications.deliver_batch"
FORWARD = "support.forward"
PLATFORM_FETCH = "platforms.fetch"
SHOP_WEBHOOKS = "shop_webhooks.deliver"  # a batch task: ids of `shop_webhooks` rows
SHOP_ACTION = "choices.shop_action"  # a customer's cancel, carried out at the shop


class Dispatcher(Protocol):
    """Hands a task (by name) with a row id to whoever does the work."""

    def send(self, task: str, row_id: int) -> None: ...

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        """Hand many row ids to one task run (one queue message): a `*_batch` task."""

    def ping(self) -> None:
        """Raise if the broker cannot be reached."""

    def depth(self) -> int:
        """How many messages wait in the broker."""


def send_in_batches(dispatcher: Dispatcher, task: str, row_ids: Sequence[int], size: int) -> None:
    """Hand `row_ids` to the batch `task`, `size` ids per queue message at most."""
    for start in range(0, len(row_ids), size):
        dispatcher.send_batch(task, row_ids[start : start + size])


class Core(Protocol):
    """What every step with I/O needs: where the database is, what time it is, where to hand
    the next task, and the settings."""

    @property
    def db_url(self) -> str: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def dispatcher(self) -> Dispatcher: ...
