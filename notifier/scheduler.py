"""The scheduler: hands messages whose time has come to delivery.

Due rows are claimed atomically (`scheduled → queued`, with `FOR UPDATE SKIP LOCKED` on
PostgreSQL), so two schedulers side by side never hand the same message over twice.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from notifier import broker, queries
from notifier.db import session_scope
from notifier.reconcile import reconcile

if TYPE_CHECKING:
    from notifier.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 500


def tick(runtime: Runtime, now: datetime | None = None) -> int:
    """One pass as of `now`: due messages to delivery, unknown outcomes reconciled. How many."""
    as_of = now or runtime.clock()
    handed = reconcile(runtime, as_of)
    while True:
        with session_scope(runtime.db_url) as session:
            ids = queries.claim_due(session, as_of, BATCH)
        for notification_id in ids:
            runtime.dispatcher.send(broker.DELIVER, notification_id)
        handed += len(ids)
        if len(ids) < BATCH:
            return handed


def run_forever(runtime: Runtime, interval: float = 5.0) -> None:
    """`notifier scheduler`: a tick every `interval` seconds until interrupted."""
    log.info("scheduler started, a pass every %.1f s", interval)
    while True:
        handed = tick(runtime)
        if handed:
            log.info("handed %d due messages to delivery", handed)
        time.sleep(interval)
