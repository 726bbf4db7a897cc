"""Deliver one message: claim → route → render → send → record. No broker code here.

The claim (`status: queued → sending`) makes a message belong to one sender; no transaction is
held open across the provider call; the outcome is written only over our own claim.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from adapters.base import (
    OutboundMessage,
    PermanentSendError,
    Receipt,
    TransientSendError,
    mask_address,
)
from notifier import queries
from notifier.db import session_scope
from notifier.errors import TemplateError, TransientError
from notifier.models import Customer, Kind, Notification, NotificationStatus
from notifier.routing import Contact, Route, Skip, choose_route
from notifier.views import template_view

if TYPE_CHECKING:
    from notifier.runtime import Runtime

log = logging.getLogger(__name__)

INLINE_RETRY_DELAYS = (0.5, 2.0, 5.0)
SENDING_HOLDS_FOR = timedelta(minutes=2)


@dataclass(frozen=True)
class Job:
    """What a send needs, read in the claiming transaction so none is held during the send."""

    notification_id: int
    kind: Kind
    context: dict[str, Any]
    contact: Contact | None
    locale: str
    timezone: str


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended and what to record."""

    status: NotificationStatus
    values: dict[str, Any]
    retry: TransientSendError | None = None


def deliver(runtime: Runtime, notification_id: int) -> NotificationStatus | None:
    """Send a queued message once; None when it was not ours to send. Transient failures raise.

    The order's earlier due messages go first, so a customer reads "confirmed" before
    "shipped" even when both were planned in the same instant and picked up by two workers.
    """
    _send_earlier_first(runtime, notification_id)
    return _deliver_one(runtime, notification_id)


def _send_earlier_first(runtime: Runtime, notification_id: int) -> None:
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        earlier = queries.earlier_unsent_of_order(
            session, notification_id, now, busy_since=now - SENDING_HOLDS_FOR
        )
    if any(status is NotificationStatus.SENDING for _, status in earlier):
        raise TransientError("an earlier message of this order is being sent", retry_after=0.5)
    for earlier_id, _ in earlier:
        _deliver_one(runtime, earlier_id)


def _deliver_one(runtime: Runtime, notification_id: int) -> NotificationStatus | None:
    job = _claim(runtime, notification_id)
    if job is None:
        return None
    outcome = _attempt(runtime, job)
    with session_scope(runtime.db_url) as session:
        queries.record_outcome(session, notification_id, outcome.status, outcome.values)
    if outcome.retry is not None:
        raise TransientError(str(outcome.retry), outcome.retry.retry_after) from outcome.retry
    return outcome.status


def deliver_or_retry_inline(runtime: Runtime, notification_id: int) -> NotificationStatus | None:
    """The embedded mode's delivery: retry transient failures a few times, then fail it."""
    for delay in INLINE_RETRY_DELAYS:
        try:
            return deliver(runtime, notification_id)
        except TransientError as exc:
            time.sleep(min(exc.retry_after or delay, 30.0))
    try:
        return deliver(runtime, notification_id)
    except TransientError as exc:
        _give_up(runtime, notification_id, str(exc))
        return NotificationStatus.FAILED


def _give_up(runtime: Runtime, notification_id: int, error: str) -> None:
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        if queries.claim_notification(session, notification_id, now):
            values = {"error": f"gave up after retries: {error}", "updated_at": now}
            queries.record_outcome(session, notification_id, NotificationStatus.FAILED, values)


def _claim(runtime: Runtime, notification_id: int) -> Job | None:
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        if not queries.claim_notification(session, notification_id, now):
            return None
        notification = queries.get_notification(session, notification_id)
        customer = queries.get_customer(session, notification.customer_id)
        return _job(runtime, notification, customer)


def _job(runtime: Runtime, notification: Notification, customer: Customer | None) -> Job:
    settings = runtime.settings
    contact = None
    if customer is not None:
        contact = Contact(customer.phone, customer.email, customer.channels, customer.consent or {})
    return Job(
        notification_id=notification.id,
        kind=notification.kind,
        context=notification.context,
        contact=contact,
        locale=(customer.locale if customer else None) or settings.default_locale,
        timezone=(customer.timezone if customer else None) or settings.default_timezone,
    )


def _attempt(runtime: Runtime, job: Job) -> Outcome:
    now = runtime.clock()
    route = choose_route(
        job.kind, job.contact, runtime.policy.channels_for(job.kind), runtime.configured_channels
    )
    if isinstance(route, Skip):
        return Outcome(NotificationStatus.SKIPPED, {"error": route.reason, "updated_at": now})
    try:
        message = _render(runtime, job, route)
        receipt = runtime.channels[route.channel].send(message)
    except (TemplateError, PermanentSendError) as exc:
        log.warning("message %s failed: %s", job.notification_id, exc)
        return Outcome(NotificationStatus.FAILED, _route_values(route, now, error=str(exc)))
    except TransientSendError as exc:
        values = _route_values(route, now, error=str(exc))
        return Outcome(NotificationStatus.QUEUED, values, retry=exc)
    return _sent(job, route, message, receipt, now)


def _render(runtime: Runtime, job: Job, route: Route) -> OutboundMessage:
    view = template_view(job.context, job.kind, job.locale, job.timezone)
    rendered = runtime.renderer.render(job.kind, route.template_channel, view)
    return OutboundMessage(
        notification_id=job.notification_id,
        kind=job.kind,
        channel=route.template_channel,
        to=route.recipient,
        body=rendered.text,
        subject=rendered.subject,
        html=rendered.html,
        marketing=job.kind.is_marketing,
    )


def _route_values(route: Route, now: datetime, error: str | None = None) -> dict[str, Any]:
    return {
        "channel": route.channel,
        "rendered_for": route.template_channel,
        "recipient": route.recipient,
        "error": error,
        "updated_at": now,
    }


def _sent(
    job: Job, route: Route, message: OutboundMessage, receipt: Receipt, now: datetime
) -> Outcome:
    log.info(
        "sent %s %s to %s via %s",
        job.kind,
        job.notification_id,
        mask_address(route.recipient),
        route.channel,
    )
    values = _route_values(route, now)
    values.update(
        subject=message.subject,
        body=message.body,
        provider_message_id=receipt.provider_message_id,
        sent_at=now,
    )
    return Outcome(NotificationStatus.SENT, values)
