"""Thin dramatiq actors for `notifier worker`: take an id, call one function.

Imported only by worker processes; the broker is set before the actors are declared.
"""

from __future__ import annotations

import logging
import threading

import dramatiq

from notifier.care import choice_actions, support
from notifier.config import get_settings
from notifier.errors import ConfigError, TransientError
from notifier.intake import platforms
from notifier.logs import configure_logging
from notifier.pipeline import deliver as delivery
from notifier.pipeline import process, process_batch, send_batch, shop_webhooks
from notifier.workers import broker
from notifier.workers.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

BATCH_TIME_LIMIT_MS = 600_000

_settings = get_settings()
if _settings.is_embedded:
    raise ConfigError(
        "`notifier worker` needs NOTIFIER_BROKER_URL=redis://…; memory:// works in-process"
    )
dramatiq.set_broker(broker.make_redis_broker(_settings.broker_url))
configure_logging()  # dramatiq set up its handlers; make every line JSON
_PROCESSING = threading.BoundedSemaphore(_settings.worker_processing_slots)


@dramatiq.actor(actor_name=broker.PROCESS_EVENT, queue_name=broker.QUEUE)
def process_event(event_row_id: int) -> None:
    """Apply a stored event to its order and plan its messages, then send those due now."""
    runtime = get_runtime()
    with _PROCESSING:  # like a batch: the other threads send meanwhile, or wait here
        planned = process.process_event_here(runtime, event_row_id)
    for claimed in planned.claimed:
        _send_claimed_here(runtime, claimed)
    for notification_id in planned.due_now:
        _deliver_here(runtime, notification_id)


@dramatiq.actor(
    actor_name=broker.PROCESS_EVENTS, queue_name=broker.QUEUE, time_limit=BATCH_TIME_LIMIT_MS
)
def process_events(event_row_ids: list[int]) -> None:
    """Apply a batch of stored events in one transaction, then send their messages due now."""
    runtime = get_runtime()
    with _PROCESSING:  # the other threads send meanwhile, or wait here
        planned = process_batch.process_events_here(runtime, event_row_ids)
    try:
        retries = send_batch.send_claimed_batch(runtime, planned.claimed)
    except Exception:  # the messages stay `sending`: the reconciler asks the provider
        log.exception("sending %d messages after processing failed", len(planned.claimed))
        retries = []
    for retry in retries:
        deliver.send_with_options(args=(retry.notification_id,), delay=_ms(retry.delay))
    for notification_id in planned.due_now:
        _deliver_here(runtime, notification_id)


def _send_claimed_here(runtime: Runtime, claimed: delivery.Claimed) -> None:
    """A message claimed when it was planned; one that can't go now goes to `deliver`. Should
    sending fail otherwise, it stays `sending`: the reconciler asks the provider about it."""
    try:
        delivery.send_claimed(runtime, claimed)
    except TransientError as exc:
        deliver.send_with_options(args=(claimed.notification.id,), delay=_delay_ms(exc))
    except Exception:
        log.exception("message %s: sending after processing failed", claimed.notification.id)


def _deliver_here(runtime: Runtime, notification_id: int) -> None:
    """Send in this thread, right after the commit: a second trip through the queue would buy
    nothing. A message that can't go now is handed to the `deliver` actor, which retries."""
    try:
        delivery.deliver(runtime, notification_id)
    except TransientError as exc:
        deliver.send_with_options(args=(notification_id,), delay=_delay_ms(exc))
    except Exception:
        log.exception("message %s: sending after processing failed; queued again", notification_id)
        deliver.send(notification_id)


# Our retry policy bounds the attempts (then the message is failed); dramatiq's own bound only
# catches the unexpected, such as an earlier message of the order that never finishes sending.
@dramatiq.actor(actor_name=broker.DELIVER, queue_name=broker.QUEUE, max_retries=200)
def deliver(notification_id: int) -> None:
    """Send a queued message; a transient failure is retried, after Retry-After if given."""
    try:
        delivery.deliver(get_runtime(), notification_id)
    except TransientError as exc:
        raise dramatiq.Retry(str(exc), delay=_delay_ms(exc)) from exc


# A batch of due messages handed over by the scheduler: each sent as `process_event` sends
# its own (one that can't go now goes to `deliver`, alone); a batch may take minutes.
@dramatiq.actor(
    actor_name=broker.DELIVER_BATCH, queue_name=broker.QUEUE, time_limit=BATCH_TIME_LIMIT_MS
)
def deliver_batch(notification_ids: list[int]) -> None:
    """Send a batch of queued messages, one after the other."""
    runtime = get_runtime()
    for notification_id in notification_ids:
        _deliver_here(runtime, notification_id)


def _delay_ms(exc: TransientError) -> int | None:
    return _ms(exc.retry_after)


def _ms(seconds: float | None) -> int | None:
    return int(seconds * 1000) if seconds else None


@dramatiq.actor(actor_name=broker.FORWARD, queue_name=broker.QUEUE)
def forward(forward_id: int) -> None:
    """Send a handoff to support; a failure is retried by the scheduler's pass, from its row."""
    support.forward(get_runtime(), forward_id)


@dramatiq.actor(actor_name=broker.PLATFORM_FETCH, queue_name=broker.QUEUE)
def fetch_platform_notification(notification_row_id: int) -> None:
    """Fetch what a shop platform's webhook points at, map it, ingest the events; a
    transient failure of the platform's API is retried with backoff."""
    try:
        platforms.fetch_and_ingest(get_runtime(), notification_row_id)
    except TransientError as exc:
        raise dramatiq.Retry(str(exc)) from exc


# A batch of webhooks to the shop, handed over after the commit that wrote them or by the
# scheduler's pass; one the shop does not take is put off in its row, and a later pass hands
# it over again: nothing is retried by dramatiq but the unexpected.
@dramatiq.actor(
    actor_name=broker.SHOP_WEBHOOKS, queue_name=broker.QUEUE, time_limit=BATCH_TIME_LIMIT_MS
)
def deliver_shop_webhooks(webhook_ids: list[int]) -> None:
    """Send webhooks to the shop's backend, signed, each under its own webhook-id."""
    shop_webhooks.deliver(get_runtime(), webhook_ids)


# A customer's cancel carried out at the shop's platform, from its row: a failure is tried
# again by the scheduler's pass, with backoff, so dramatiq retries nothing here.
@dramatiq.actor(actor_name=broker.SHOP_ACTION, queue_name=broker.QUEUE)
def carry_out_shop_action(choice_id: int) -> None:
    """Cancel the order of a customer's `cancel` choice at the shop, with a full refund."""
    choice_actions.carry_out(get_runtime(), choice_id)
