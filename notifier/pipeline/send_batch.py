"""Send the messages a batch of events planned already claimed, together: the provider calls'
start written for all of them in one statement, the calls made concurrently, the outcomes
written in one transaction.

Each message keeps what `deliver.send_claimed` promises for one: no provider call without the
call's start committed over our claim, the outcome written only over that claim, a channel that
fails for good handing the message to the next one, a transient failure queued for a retry.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from notifier.logs import log_context
from notifier.pipeline import jobs
from notifier.pipeline.claims import ClaimLost, warn_claim_lost
from notifier.pipeline.deliver import (
    Claimed,
    Outcome,
    attempt,
    count_outcome,
    record_side_effects,
)
from notifier.pipeline.jobs import Job
from notifier.pipeline.parts import Parts
from notifier.store.db import retrying_on_disconnect, session_scope
from notifier.store.models import Notification
from notifier.store.sending import record_outcomes, start_provider_calls

log = logging.getLogger(__name__)

# Provider calls in flight at once per worker process: they wait on the network, not the CPU.
SEND_CONCURRENCY = 16

_POOL: list[ThreadPoolExecutor] = []


@dataclass(frozen=True)
class Retry:
    """A message to try again later, after `delay` seconds (None: as the queue's retries go)."""

    notification_id: int
    delay: float | None


def send_claimed_batch(runtime: Parts, claimed: list[Claimed]) -> list[Retry]:
    """Send the messages, SEND_CONCURRENCY at a time; the ones to retry later (a transient
    failure, or no slot now).

    A part at a time, each started, sent and recorded before the next: a worker killed
    mid-batch leaves at most one part whose outcome the reconciler must ask the provider
    about; the messages of the parts not started are sent again without asking."""
    retries: list[Retry] = []
    for start in range(0, len(claimed), SEND_CONCURRENCY):
        retries += _send_part(runtime, claimed[start : start + SEND_CONCURRENCY])
    return retries


def _send_part(runtime: Parts, claimed: list[Claimed]) -> list[Retry]:
    now = runtime.clock()
    planned = [(c.notification, jobs.job_for(runtime, c.notification, c.customer, now))
               for c in claimed]  # fmt: skip
    with session_scope(runtime.db_url) as session:
        planned = [(n, jobs.with_short_links(session, runtime, job)) for n, job in planned]
        started = start_provider_calls(session, [(n.id, job.claim) for n, job in planned], now)
    ready = []
    for notification, job in planned:
        if notification.id in started:
            ready.append((notification, job))
        else:
            warn_claim_lost(notification.id, job.claim, "the provider was not called")
    outcomes = list(_pool().map(lambda item: _attempt(runtime, now, *item), ready))
    pairs = zip(ready, outcomes, strict=True)
    sent = [(n.id, job, outcome) for (n, job), outcome in pairs if outcome is not None]
    recorded = retrying_on_disconnect(lambda: _record_all(runtime, sent))
    retries = []
    for notification_id, job, outcome in sent:
        count_outcome(job, outcome)
        if notification_id not in recorded:
            what = f"its outcome ({outcome.status}) not written"
            warn_claim_lost(notification_id, job.claim, what)
        elif outcome.retry_after is not None:
            retries.append(Retry(notification_id, outcome.retry_after))
    return retries


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(SEND_CONCURRENCY, thread_name_prefix="send"))
    return _POOL[0]


def _attempt(
    runtime: Parts, started_at: datetime, notification: Notification, job: Job
) -> Outcome | None:
    """One message's attempt, in a sending thread; None when it must be left as it is: the
    claim was taken over (a fallback channel's call) or the attempt failed unexpectedly (it
    stays `sending`, and the reconciler asks the provider)."""
    ids = {"event_id": notification.event_id, "order_id": notification.order_id}
    with log_context(message_id=notification.id, **ids):
        try:
            return attempt(runtime, job, call_started=started_at)
        except ClaimLost:
            warn_claim_lost(notification.id, job.claim, "the provider was not called")
        except Exception:
            log.exception("message %s: sending after processing failed", notification.id)
    return None


def _record_all(runtime: Parts, sent: list[tuple[int, Job, Outcome]]) -> set[int]:
    """Every outcome written in one transaction; the ids whose claim still held."""
    outcomes = [(n_id, job.claim, outcome.status, outcome.values) for n_id, job, outcome in sent]
    with session_scope(runtime.db_url) as session:
        recorded = record_outcomes(session, outcomes)
        for _, job, outcome in sent:
            record_side_effects(session, runtime, job, outcome)
    return recorded
