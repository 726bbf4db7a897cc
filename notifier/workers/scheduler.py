"""The scheduler: hands messages whose time has come to delivery.

Due rows are claimed atomically (`scheduled → queued`, with `FOR UPDATE SKIP LOCKED` on
PostgreSQL), so two schedulers side by side never hand the same message over twice; they go to
delivery `scan.IDS_PER_MESSAGE` ids per queue message (a `deliver_batch` task).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

import redis
from dramatiq.errors import BrokerConnectionError
from sqlalchemy.exc import InterfaceError, OperationalError

from notifier import ports
from notifier.care import choice_actions, support
from notifier.intake import platforms
from notifier.pipeline import scan, shop_webhooks
from notifier.pipeline.reconcile import reconcile, sweep_events
from notifier.store import notifications
from notifier.store.db import session_scope

if TYPE_CHECKING:
    from notifier.workers.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 500
# The database or the broker is down or restarting: the next pass tries again.
UNREACHABLE = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError,
               BrokerConnectionError)  # fmt: skip


def tick(runtime: Runtime, now: datetime | None = None) -> int:
    """One pass as of `now`: unknown outcomes reconciled, late orders found and told, the day's
    win-back scan (once a day), handoffs forwarded to support again, webhooks to the shop and
    customers' cancels at the shop retried, due messages handed to delivery. How many messages
    were handed over."""
    as_of = now or runtime.clock()
    sweep_events(runtime, as_of)
    support.sweep(runtime, as_of)
    shop_webhooks.sweep(runtime, as_of)
    choice_actions.sweep(runtime, as_of)
    platforms.sweep_platform_notifications(runtime, as_of)
    handed = reconcile(runtime, as_of) + scan.scan_late_orders(runtime, as_of)
    handed += scan.scan_winback(runtime, as_of)
    while True:
        with session_scope(runtime.db_url) as session:
            ids = notifications.claim_due(session, as_of, BATCH)
        # IDS_PER_MESSAGE ids per queue message: 10,000 due rows are 200 messages, not 10,000
        ports.send_in_batches(runtime.dispatcher, ports.DELIVER_BATCH, ids, scan.IDS_PER_MESSAGE)
        handed += len(ids)
        if len(ids) < BATCH:
            return handed


def run_forever(runtime: Runtime, interval: float = 5.0) -> None:
    """`notifier scheduler`: a tick every `interval` seconds until interrupted; a pass that
    cannot reach the database or the broker is logged, and the loop goes on. So does a pass
    that fails any other way: one bad row must not stop every customer's messages."""
    log.info("scheduler started, a pass every %.1f s", interval)
    while True:
        try:
            handed = tick(runtime)
        except UNREACHABLE as exc:
            log.warning("scheduler pass failed, next in %.1f s: %s", interval, exc)
        except Exception:
            log.exception("scheduler pass failed unexpectedly, next in %.1f s", interval)
        else:
            if handed:
                log.info("handed %d due messages to delivery", handed)
        time.sleep(interval)
