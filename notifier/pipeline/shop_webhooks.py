"""Deliver the outbox's webhooks to the shop (`store/shop_webhooks.py` writes them): claim a
batch by id, POST each one signed (`adapters/webhooks/standard.py`), then mark the ones the
shop took delivered and put the others off with backoff, in one transaction.

At least once: a webhook is delivered again only when an attempt's outcome was lost (a worker
that died between the shop's answer and our write, found by the scheduler after STUCK_AFTER),
and always under the same `webhook-id`. Nothing is given up: the shop's endpoint being down
only spaces the attempts out, up to the policy's `shop_webhooks.max_backoff`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from adapters.webhooks.standard import NotDelivered
from notifier import ports
from notifier.decide.policy import Policy
from notifier.store import shop_webhooks as outbox
from notifier.store.db import session_scope
from notifier.store.shop_webhooks import Backoff, Claimed, Failure

log = logging.getLogger(__name__)

IDS_PER_MESSAGE = 50  # webhooks per queue message; each waits at most the timeout
# A claim older than this belongs to a sender that died: longer than a batch can take.
STUCK_AFTER = timedelta(minutes=15)
SWEEP_BATCH = 1_000  # webhooks handed over by one scheduler pass at most
UNREACHABLE = "not tried: the shop's endpoint gave no answer to an earlier webhook"


class Sender(Protocol):
    """Sends one webhook; raises `NotDelivered` when the shop did not take it."""

    def send(self, webhook_id: str, payload: Mapping[str, Any]) -> None: ...


class Parts(ports.Core, Protocol):
    """What delivering webhooks uses: the core, the policy (backoff) and the sender (None while
    NOTIFIER_SHOP_WEBHOOK_URL is unset)."""

    @property
    def policy(self) -> Policy: ...

    @property
    def shop_webhooks(self) -> Sender | None: ...


def deliver(runtime: Parts, webhook_ids: list[int]) -> int:
    """Send these webhooks unless delivered already or held by another sender; how many the
    shop took."""
    sender = runtime.shop_webhooks
    if sender is None:  # the URL was unset since they were written: they wait for it
        log.warning("%d shop webhooks wait: NOTIFIER_SHOP_WEBHOOK_URL is unset", len(webhook_ids))
        return 0
    token, now = uuid.uuid4().hex, runtime.clock()
    with session_scope(runtime.db_url) as session:
        claimed = outbox.claim(session, webhook_ids, token, now, now - STUCK_AFTER)
    delivered, failures = _attempt_all(sender, claimed)
    done_at = runtime.clock()
    with session_scope(runtime.db_url) as session:
        outbox.mark_delivered(session, delivered, token, done_at)
        outbox.put_off(session, failures, token, done_at, backoff(runtime.policy))
    if failures:
        log.warning("shop webhooks: %d delivered, %d put off (%s)",
                    len(delivered), len(failures), failures[0].error)  # fmt: skip
    return len(delivered)


def _attempt_all(sender: Sender, claimed: list[Claimed]) -> tuple[list[int], list[Failure]]:
    """Send one after the other; once the endpoint gives no answer at all, the rest of the
    batch is not tried (it would only wait for the same timeout) but put off with it."""
    delivered: list[int] = []
    failures: list[Failure] = []
    for position, webhook in enumerate(claimed):
        try:
            sender.send(webhook.webhook_id, webhook.payload)
        except NotDelivered as exc:
            failures.append(Failure(webhook, str(exc)))
            if not exc.answered:
                failures += [Failure(rest, UNREACHABLE) for rest in claimed[position + 1 :]]
                break
        else:
            delivered.append(webhook.id)
    return delivered, failures


def backoff(policy: Policy) -> Backoff:
    """The policy's backoff for webhooks the shop did not take."""
    return Backoff(policy.shop_webhooks.backoff, policy.shop_webhooks.max_backoff)


def sweep(runtime: Parts, now: datetime) -> int:
    """The scheduler's part: hand undelivered webhooks whose time has come (a retry, a lost
    hand-over, a sender that died) to delivery; how many."""
    if runtime.shop_webhooks is None:
        return 0
    with session_scope(runtime.db_url) as session:
        ids = outbox.hand_over_due(session, now, now - STUCK_AFTER, SWEEP_BATCH)
    ports.send_in_batches(runtime.dispatcher, ports.SHOP_WEBHOOKS, ids, IDS_PER_MESSAGE)
    return len(ids)
