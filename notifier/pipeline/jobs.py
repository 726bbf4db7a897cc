"""What a send needs, read when the message is claimed: the job, and the checks made then.

A marketing message is paced (quiet hours, the frequency cap) and carries its unsubscribe
link; a payment reminder keeps to the quiet hours while that still lands before its deadline;
a periodic update is refreshed with the latest known location; the rest only needs the
customer's contact and the draft.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notifier.decide import pacing, payments
from notifier.decide.facts import snapshot
from notifier.decide.followups import CART_KINDS
from notifier.decide.policy import QuietHours
from notifier.decide.routing import Contact
from notifier.messages.compose import Draft, OfferedChoice
from notifier.messages.short_urls import links_in
from notifier.pipeline.parts import Parts
from notifier.store import choice_tokens, notifications, short_links, unsubscribes
from notifier.store.models import Customer, Notification, Order
from notifier.vocabulary import Channel, Kind, NotificationStatus

REFRESHED_KINDS = frozenset({Kind.IN_TRANSIT_UPDATE})


@dataclass(frozen=True)
class Job:
    """What a send needs, read in the claiming transaction so none is held during the send."""

    draft: Draft
    claim: int  # the claim_token taken: every write of this send must still find it
    order_id: str | None
    customer_id: str | None
    contact: Contact | None
    attempts: int
    history: list[dict[str, Any]]
    only_channel: Channel | None


def with_unsubscribe(session: Session, runtime: Parts, notification: Notification, job: Job) -> Job:
    """A marketing message carries its one-click unsubscribe link (when we have a public URL)."""
    base = runtime.settings.public_url
    if not (notification.kind.is_marketing and base and notification.customer_id):
        return job
    token = unsubscribes.token_for(
        session, notification.id, notification.customer_id, runtime.clock()
    )
    url = f"{base.rstrip('/')}/unsubscribe/{token}"
    return replace(job, draft=replace(job.draft, unsubscribe_url=url))


def shortens_links(runtime: Parts) -> bool:
    """True when the messages' links go out short: the policy says so and we have a public URL."""
    return runtime.policy.short_links and bool(runtime.settings.public_url)


def with_short_links(session: Session, runtime: Parts, job: Job) -> Job:
    """The job with the short link of each link its message carries (made once per message
    and link: a retry sends the same ones)."""
    if not shortens_links(runtime):
        return job
    draft = job.draft
    links = links_in(draft.context, (choice.url for choice in draft.choices))
    if not links:
        return job
    codes = short_links.codes_for(session, draft.notification_id, links, runtime.clock())
    base = (runtime.settings.public_url or "").rstrip("/")
    short = {url: f"{base}/r/{code}" for url, code in codes.items()}
    return replace(job, draft=replace(draft, short_urls=short))


def paced(
    session: Session, runtime: Parts, notification: Notification, customer: Customer | None
) -> bool:
    """Quiet hours and the frequency cap for marketing kinds, and the payment reminder's
    quiet hours: True when the message was put off (or skipped)."""
    now, policy, claim = runtime.clock(), runtime.policy, notification.claim_token
    timezone = (customer.timezone if customer else None) or runtime.settings.default_timezone
    if notification.kind is Kind.PAYMENT_REMINDER:
        return _reminder_paced(session, notification, timezone, now, policy.quiet_hours)
    if not notification.kind.is_marketing:
        return False
    until = pacing.quiet_until(now, timezone, policy.quiet_hours)
    if until is not None:
        notifications.defer(session, notification.id, claim, until, "deferred: quiet hours", now)
        return True
    if customer is None:
        return False
    cart = notification.cart_id if notification.kind in CART_KINDS else None
    sent = notifications.marketing_sent_since(
        session, customer.id, now - policy.frequency_cap.per, cart
    )
    capped = pacing.capped_until(now, sent, policy.frequency_cap)
    if capped is None:
        return False
    if policy.frequency_cap.action == "skip":
        values = {"error": "skipped: frequency cap reached", "updated_at": now}
        notifications.record_outcome(
            session, notification.id, claim, NotificationStatus.SKIPPED, values
        )
    else:
        notifications.defer(session, notification.id, claim, capped, "deferred: frequency cap", now)
    return True


def _reminder_paced(
    session: Session, notification: Notification, timezone: str, now: datetime,
    quiet: QuietHours,
) -> bool:  # fmt: skip
    """A payment reminder found in the quiet hours when its time came (a late scheduler, a
    replay): it waits for their end only when that is still before the voucher's deadline."""
    deadline = payments.deadline(notification.context or {})
    until = pacing.reminder_wait(now, deadline, timezone, quiet)
    if until is None:
        return False
    note = "deferred: quiet hours (before the voucher's deadline)"
    notifications.defer(session, notification.id, notification.claim_token, until, note, now)
    return True


def refreshed(session: Session, notification: Notification) -> dict[str, Any]:
    """The latest known location and ETA for a periodic update planned days ago."""
    order = session.get(Order, notification.order_id) if notification.order_id else None
    if order is None:
        return notification.context
    fresh = snapshot({}, order.details or {}, order.shipment or {})
    return {**notification.context, "order": fresh["order"], "shipment": fresh["shipment"]}


def job_for(
    runtime: Parts, notification: Notification, customer: Customer | None, now: datetime,
    session: Session | None = None,
) -> Job:  # fmt: skip
    """What sending the message needs; `session`, the caller's open one, if any."""
    settings = runtime.settings
    contact, window_open = None, False
    if customer is not None:
        contact = Contact(
            customer.phone, customer.email, customer.channels,
            customer.consent or {}, customer.opted_out or [],
        )  # fmt: skip
        window_open = bool(customer.whatsapp_window_until and customer.whatsapp_window_until > now)
    draft = Draft(
        notification_id=notification.id,
        kind=notification.kind,
        context=notification.context,
        locale=(customer.locale if customer else None) or settings.default_locale,
        timezone=(customer.timezone if customer else None) or settings.default_timezone,
        whatsapp_window_open=window_open,
        choices=_offered(runtime, notification, now, session),
    )
    return Job(
        draft, notification.claim_token, notification.order_id, notification.customer_id, contact,
        notification.attempts, list(notification.history or []), notification.only_channel,
    )  # fmt: skip


def _offered(
    runtime: Parts, notification: Notification, now: datetime, session: Session | None
) -> tuple[OfferedChoice, ...]:
    """The message's choices, each with its signed reference (a button id, a link's token)."""
    names = (notification.context or {}).get("choices") or []
    if not names:
        return ()
    secret = runtime.settings.link_secret
    configured = secret.get_secret_value() if secret else None
    key = choice_tokens.key_for(runtime.db_url, configured, now, session)
    base = (runtime.settings.public_url or "").rstrip("/")
    offered = []
    for number, name in enumerate(names, start=1):
        token = choice_tokens.sign(key, choice_tokens.ChoiceRef(notification.id, name))
        url = f"{base}/choices/{token}" if base else None
        offered.append(OfferedChoice(name, number, token, url))
    return tuple(offered)
