"""Deliver one message: claim → route → compose → send → record. No broker code here.

The claim (`status: queued → sending`, a new `claim_token`) makes a message belong to one
sender; no transaction is held open across the provider call; the moment the call starts and
the outcome are written only over our own claim (`pipeline/claims.py`). A channel
that fails for good hands the message to the next channel in the customer's order; a transient
failure is retried later (bounded); a send whose outcome is unknown stays `sending` until the
reconciler asks the provider.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from adapters.channels.base import (
    PermanentSendError,
    Receipt,
    TransientSendError,
    UnknownOutcomeError,
    mask_address,
)
from adapters.channels.twilio import OPTED_OUT_CODE
from notifier import metrics
from notifier.decide.payments import PAYMENT_KINDS
from notifier.decide.retry import backoff_seconds, gives_up
from notifier.decide.routing import Route, Skip, choose_route
from notifier.errors import TemplateError, TransientError
from notifier.logs import log_context, set_log_ids
from notifier.messages.compose import compose
from notifier.pipeline import holds, jobs
from notifier.pipeline.claims import ClaimLost, start_provider_call, warn_claim_lost
from notifier.pipeline.costs import cost_values, count_cost
from notifier.pipeline.jobs import Job
from notifier.pipeline.parts import Parts
from notifier.pipeline.ratelimit import NoSlotSoon
from notifier.store import care, notifications, orders
from notifier.store.db import retrying_on_disconnect, session_scope
from notifier.store.models import Customer, Notification
from notifier.vocabulary import Channel, Kind, NotificationStatus

log = logging.getLogger(__name__)

SENDING_HOLDS_FOR = timedelta(minutes=2)
START_STAYS_FRESH = timedelta(seconds=1)
INLINE_MAX_SLEEP = 30.0


@dataclass
class Outcome:
    """How an attempt ended and what to record."""

    status: NotificationStatus
    values: dict[str, Any]
    retry_after: float | None = None
    opted_out: list[str] = field(default_factory=list)


def deliver(runtime: Parts, notification_id: int) -> NotificationStatus | None:
    """Send a queued message once; None when it was not ours to send. Transient failures raise.

    The order's earlier due messages go first, so a customer reads "confirmed" before
    "shipped" even when both were planned in the same instant and picked up by two workers.
    The usual case costs one statement: the claim itself checks that no earlier message of
    the order waits; only when the claim fails are the earlier ones looked up and sent first.
    """
    status = _deliver_one(runtime, notification_id, first_of_order=True)
    if status is not UNCLAIMED:
        return status
    _send_earlier_first(runtime, notification_id)
    status = _deliver_one(runtime, notification_id)
    return None if status is UNCLAIMED else status


def deliver_or_retry_inline(runtime: Parts, notification_id: int) -> NotificationStatus | None:
    """The embedded mode's delivery: transient failures are retried here, sleeping between.

    The retry policy bounds the attempts; should a message still be waiting after as many
    rounds (an earlier message of its order stuck in `sending`), it stays queued for the
    scheduler's sweep."""
    for _ in range(runtime.policy.retry.max_attempts + 1):
        try:
            return deliver(runtime, notification_id)
        except TransientError as exc:
            time.sleep(min(exc.retry_after or 1.0, INLINE_MAX_SLEEP))
    return None


def deliver_batch_inline(runtime: Parts, notification_ids: list[int]) -> None:
    """The embedded mode's batch delivery: each message as `deliver_or_retry_inline`. One that
    fails is logged and left `queued`: the reconciler hands it over again; the rest go on."""
    for notification_id in notification_ids:
        try:
            deliver_or_retry_inline(runtime, notification_id)
        except Exception:
            log.exception("message %s: delivery failed; left for the reconciler", notification_id)


def _send_earlier_first(runtime: Parts, notification_id: int) -> None:
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        earlier = notifications.earlier_unsent_of_order(
            session, notification_id, now, busy_since=now - SENDING_HOLDS_FOR
        )
    busy = TransientError("an earlier message of this order is being sent", retry_after=0.5)
    if any(status is NotificationStatus.SENDING for _, status in earlier):
        raise busy
    for earlier_id, _ in earlier:
        if _deliver_one(runtime, earlier_id) in (None, UNCLAIMED):
            raise busy  # another worker claimed it first: let it finish, then go


class _Unclaimed(enum.Enum):
    UNCLAIMED = "the claim did not take the message"


UNCLAIMED = _Unclaimed.UNCLAIMED


def _deliver_one(
    runtime: Parts, notification_id: int, first_of_order: bool = False
) -> NotificationStatus | _Unclaimed | None:
    """UNCLAIMED when the message was not ours (or, `first_of_order`, an earlier message of
    its order waits); None when the claim settled it (skipped or put off)."""
    with log_context(message_id=notification_id, event_id=None, order_id=None):
        return _deliver_claimed(runtime, notification_id, first_of_order)


@dataclass(frozen=True)
class Claimed:
    """A message inserted already claimed (`sending`, first attempt) by the worker that planned
    it, with the customer as that worker knew them: it is sent without a claim of its own."""

    notification: Notification
    customer: Customer | None


def claimable_when_planned(kind: Kind, only_channel: Channel | None) -> bool:
    """True when nothing but the claim stands between planning this message and sending it:
    a transactional kind, not an email copy, no voucher expiry or fresher facts to check."""
    return not (
        kind.is_marketing or only_channel or kind in PAYMENT_KINDS or kind in jobs.REFRESHED_KINDS
    )


def send_claimed(runtime: Parts, claimed: Claimed) -> NotificationStatus | None:
    """Send a message its caller claimed when planning it (see `Claimed`); transient failures
    raise, the message then `queued` for a retry like any other. A worker that dies before the
    outcome is written leaves it `sending`: the reconciler asks the provider, then re-sends.
    None when the claim was taken over meanwhile (the row is left to its new holder)."""
    notification = claimed.notification
    ids = {"event_id": notification.event_id, "order_id": notification.order_id}
    with log_context(message_id=notification.id, **ids):
        job = jobs.job_for(runtime, notification, claimed.customer, runtime.clock())
        if jobs.shortens_links(runtime):
            with session_scope(runtime.db_url) as session:
                job = jobs.with_short_links(session, runtime, job)
        return _send_and_record(runtime, notification.id, job)


def _deliver_claimed(
    runtime: Parts, notification_id: int, first_of_order: bool
) -> NotificationStatus | _Unclaimed | None:
    job = _claim(runtime, notification_id, first_of_order)
    if job is None or job is UNCLAIMED:
        return job
    return _send_and_record(runtime, notification_id, job)


def _send_and_record(runtime: Parts, notification_id: int, job: Job) -> NotificationStatus | None:
    """The outcome, or None when the claim was taken over: before the provider call (nothing
    sent) or before the outcome was written (the new holder's record stands)."""
    try:
        outcome = attempt(runtime, job)
    except ClaimLost:
        warn_claim_lost(notification_id, job.claim, "the provider was not called")
        return None
    # A send the provider took must not be left `sending` by a database restart.
    recorded = retrying_on_disconnect(lambda: _record(runtime, notification_id, job, outcome))
    count_outcome(job, outcome)
    if not recorded:
        warn_claim_lost(notification_id, job.claim, f"its outcome ({outcome.status}) not written")
        return None
    if outcome.retry_after is not None:
        raise TransientError(outcome.values["error"], outcome.retry_after)
    return outcome.status


def count_outcome(job: Job, outcome: Outcome) -> None:
    """The messages counter, by kind, channel and how the attempt ended."""
    channel = str(outcome.values.get("channel") or "none")
    metrics.MESSAGES.labels(job.draft.kind, channel, outcome.status).inc()
    if outcome.status is NotificationStatus.SENT:
        count_cost(outcome.values)


def _record(runtime: Parts, notification_id: int, job: Job, outcome: Outcome) -> bool:
    with session_scope(runtime.db_url) as session:
        return record_in(session, runtime, notification_id, job, outcome)


def record_in(
    session: Session, runtime: Parts, notification_id: int, job: Job, outcome: Outcome
) -> bool:
    """Write the outcome over our claim; False when the claim is gone. An opt-out the provider
    told us of is the customer's, whoever holds the message now: it is kept either way."""
    recorded = notifications.record_outcome(
        session, notification_id, job.claim, outcome.status, outcome.values
    )
    record_side_effects(session, runtime, job, outcome)
    return recorded


def record_side_effects(session: Session, runtime: Parts, job: Job, outcome: Outcome) -> None:
    """What an outcome changes beyond its message: the customer's opt-out, a win-back sent."""
    if outcome.opted_out and job.customer_id:
        orders.opt_out(session, job.customer_id, outcome.opted_out)
    if job.draft.kind is Kind.WINBACK and outcome.status is NotificationStatus.SENT:
        assert job.customer_id is not None, "a win-back is planned for a customer"
        care.record_winback_sent(
            session, job.customer_id, runtime.clock(), runtime.policy.winback.again
        )


def _claim(runtime: Parts, notification_id: int, first_of_order: bool) -> Job | _Unclaimed | None:
    now = runtime.clock()
    unless_after = now - SENDING_HOLDS_FOR if first_of_order else None
    with session_scope(runtime.db_url) as session:
        notification = notifications.claim_notification(session, notification_id, now, unless_after)
        if notification is None:
            return UNCLAIMED
        set_log_ids(event_id=notification.event_id, order_id=notification.order_id)
        customer = orders.get_customer(session, notification.customer_id)
        if notification.only_channel and notifications.already_sent_on(session, notification):
            values = {"error": "not needed: this message already went by email"}
            claim, skipped = notification.claim_token, NotificationStatus.SKIPPED
            notifications.record_outcome(session, notification_id, claim, skipped, values)
            return None
        if holds.put_off(session, notification, now):  # an open handoff, an expired voucher
            return None
        if jobs.paced(session, runtime, notification, customer):
            return None
        if notification.kind in jobs.REFRESHED_KINDS:
            notification.context = jobs.refreshed(session, notification)
        job = jobs.job_for(runtime, notification, customer, now, session)
        job = jobs.with_short_links(session, runtime, job)
        return jobs.with_unsubscribe(session, runtime, notification, job)


def attempt(runtime: Parts, job: Job, call_started: datetime | None = None) -> Outcome:
    """Try the customer's channels in order until one takes the message or none is left.
    `call_started`: when the caller wrote the provider call's start, for the first channel;
    should the call begin more than START_STAYS_FRESH later (a rate limit's wait), its start is
    written again, so the reconciler searches the provider from the call's real start."""
    history: list[dict[str, Any]] = job.history
    opted_out: list[str] = []
    for _ in Channel:  # each round excludes one more channel: this many rounds at most
        route = _route(runtime, job, history)
        if isinstance(route, Skip):
            return _nowhere_to_go(runtime, route, history, opted_out)
        try:
            return _send(runtime, job, route, history, opted_out, call_started)
        except (TemplateError, PermanentSendError) as exc:
            code = getattr(exc, "code", None)
            if isinstance(exc, PermanentSendError) and not isinstance(exc, TemplateError):
                metrics.PROVIDER_ERRORS.labels(route.channel, code or "permanent").inc()
            history.append(_entry(runtime, route, "failed", str(exc), code))
            if code == OPTED_OUT_CODE:
                opted_out.append(str(route.channel))
            log.warning(
                "message %s failed on %s: %s", job.draft.notification_id, route.channel, exc
            )
            call_started = None  # the next channel's call is a new one
    return _nowhere_to_go(runtime, Skip("no channel left"), history, opted_out)


def _route(runtime: Parts, job: Job, history: list[dict[str, Any]]) -> Route | Skip:
    failed = {Channel(h["channel"]) for h in history if h["outcome"] == "failed"}
    return choose_route(
        job.draft.kind,
        job.contact,
        runtime.policy.channels_for(job.draft.kind),
        runtime.configured_channels,
        excluded=failed,
        only=job.only_channel,
    )


def _send(
    runtime: Parts,
    job: Job,
    route: Route,
    history: list[dict[str, Any]],
    opted_out: list[str],
    call_started: datetime | None,
) -> Outcome:
    message = compose(runtime.renderer, runtime.policy, job.draft, route)
    try:
        _wait_for_a_slot(runtime, route.channel)
    except NoSlotSoon as exc:  # back to the queue until the slot: the rate is never exceeded
        history.append(_entry(runtime, route, "deferred", str(exc)))
        values = _route_values(runtime, route, history, error=str(exc))
        values["attempts"] = notifications.NOT_AN_ATTEMPT
        return Outcome(NotificationStatus.QUEUED, values, retry_after=exc.seconds)
    if call_started is None or runtime.clock() - call_started > START_STAYS_FRESH:
        start_provider_call(runtime, job.draft.notification_id, job.claim)  # raises ClaimLost
    try:
        with metrics.SEND_SECONDS.labels(route.channel).time():
            receipt = runtime.channels[route.channel].send(message)
    except TransientSendError as exc:
        metrics.PROVIDER_ERRORS.labels(route.channel, "transient").inc()
        history.append(_entry(runtime, route, "retry", str(exc)))
        return _retry_or_give_up(runtime, job, route, exc, history)
    except UnknownOutcomeError as exc:
        history.append(_entry(runtime, route, "unknown", str(exc), template=message.content_sid))
        values = _route_values(runtime, route, history, error=f"outcome unknown: {exc}")
        return Outcome(NotificationStatus.SENDING, {**values, "body": message.body})
    history.append(_entry(runtime, route, "sent", provider_id=receipt.provider_message_id))
    values = cost_values(runtime.policy, job.draft, route, message.body, message.content_sid)
    return _sent(
        runtime, job, route, message.subject, message.body, receipt, history, opted_out, values
    )


def _wait_for_a_slot(runtime: Parts, channel: Channel) -> None:
    per_second = runtime.policy.rate_limits.get(str(channel))
    if per_second is not None:
        runtime.limiter.acquire(str(channel), per_second)


def _retry_or_give_up(
    runtime: Parts, job: Job, route: Route, exc: TransientSendError, history: list[dict[str, Any]]
) -> Outcome:
    policy = runtime.policy.retry
    if gives_up(job.attempts, policy):
        error = f"gave up after {job.attempts} attempts: {exc}"
        return Outcome(NotificationStatus.FAILED, _route_values(runtime, route, history, error))
    delay = backoff_seconds(job.attempts, policy, exc.retry_after)
    values = _route_values(runtime, route, history, error=str(exc))
    return Outcome(NotificationStatus.QUEUED, values, retry_after=delay)


def _nowhere_to_go(
    runtime: Parts, skip: Skip, history: list[dict[str, Any]], opted_out: list[str]
) -> Outcome:
    values = {"error": skip.reason, "history": history, "updated_at": runtime.clock()}
    failures = [h["error"] for h in history if h["outcome"] == "failed"]
    if failures:
        values["error"] = "every channel failed: " + "; ".join(failures)
        return Outcome(NotificationStatus.FAILED, values, opted_out=opted_out)
    return Outcome(NotificationStatus.SKIPPED, values)


def _entry(
    runtime: Parts,
    route: Route,
    outcome: str,
    error: str | None = None,
    code: str | None = None,
    provider_id: str | None = None,
    template: str | None = None,
) -> dict[str, Any]:
    # The channel is the one the customer would get; `via` names the console standing in.
    entry = {
        "channel": str(route.template_channel),
        "outcome": outcome,
        "at": runtime.clock().isoformat(),
    }
    via = str(route.channel) if route.channel is not route.template_channel else None
    extra = {
        "via": via,
        "error": error,
        "code": code,
        "provider_message_id": provider_id,
        "content_sid": template,
    }
    return entry | {key: value for key, value in extra.items() if value is not None}


def _route_values(
    runtime: Parts, route: Route, history: list[dict[str, Any]], error: str | None = None
) -> dict[str, Any]:
    return {
        "channel": route.channel,
        "rendered_for": route.template_channel,
        "recipient": route.recipient,
        "error": error,
        "history": history,
        "updated_at": runtime.clock(),
    }


def _sent(
    runtime: Parts,
    job: Job,
    route: Route,
    subject: str | None,
    body: str,
    receipt: Receipt,
    history: list[dict[str, Any]],
    opted_out: list[str],
    cost: dict[str, Any],
) -> Outcome:
    log.info(
        "sent %s %s to %s via %s",
        job.draft.kind,
        job.draft.notification_id,
        mask_address(route.recipient),
        route.channel,
    )
    values = _route_values(runtime, route, history)
    values.update(
        subject=subject,
        body=body,
        provider_message_id=receipt.provider_message_id,
        sent_at=runtime.clock(),
        **cost,
    )
    return Outcome(NotificationStatus.SENT, values, opted_out=opted_out)
