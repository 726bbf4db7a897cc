"""Handoffs forwarded to support: a JSON POST to NOTIFIER_SUPPORT_WEBHOOK_URL and/or an email to
NOTIFIER_SUPPORT_EMAIL (through the SMTP channel).

Each forward is a row (`support_forwards`, one per handoff message and destination) claimed
before it is sent and written after, like a notification: a failure is retried with backoff by
the scheduler's pass until it goes or the attempts run out, and a sender that died mid-send
leaves a row the next pass puts back. The webhook gets an `Idempotency-Key`, so a retry after
an unknown outcome can be recognised. A destination not configured is `skipped`.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.channels.base import (
    OutboundMessage,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from notifier import ports
from notifier.care.parts import Parts
from notifier.care.records import record
from notifier.store import care
from notifier.store.db import session_scope
from notifier.store.models import Handoff, SupportForward
from notifier.vocabulary import Channel, ForwardStatus

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 200


class NotConfigured(Exception):
    """This destination has no setting: nothing to send."""


@dataclass(frozen=True)
class Forward:
    """What a send needs, read in the claiming transaction."""

    id: int
    target: str
    attempts: int
    reference: str
    handoff: dict[str, Any]


def forward(runtime: Parts, forward_id: int) -> ForwardStatus | None:
    """Send one forward if it is due and ours; how it ended (None when it was not ours)."""
    job = _claim(runtime, forward_id)
    if job is None:
        return None
    status, values = _attempt(runtime, job)
    with session_scope(runtime.db_url) as session:
        care.record_forward(session, forward_id, status, values)
    log.info("handoff %s to support %s: %s", job.handoff["id"], job.target, status)
    return status


def sweep(runtime: Parts, now: datetime) -> int:
    """Hand due (and stuck) forwards to the workers again; how many."""
    with session_scope(runtime.db_url) as session:
        ids = care.due_forwards(session, now, now - STUCK_AFTER, BATCH)
    for forward_id in ids:
        runtime.dispatcher.send(ports.FORWARD, forward_id)
    return len(ids)


def _claim(runtime: Parts, forward_id: int) -> Forward | None:
    with session_scope(runtime.db_url) as session:
        if not care.claim_forward(session, forward_id, runtime.clock()):
            return None
        row = session.get_one(SupportForward, forward_id)
        handoff = session.get_one(Handoff, row.handoff_id)
        reference = f"handoff-{row.handoff_id}-{row.seq}"
        return Forward(row.id, row.target, row.attempts, reference, record(handoff))


def _attempt(runtime: Parts, job: Forward) -> tuple[ForwardStatus, dict[str, Any]]:
    now = runtime.clock()
    try:
        _send(runtime, job)
    except NotConfigured as exc:
        return ForwardStatus.SKIPPED, {"error": str(exc), "updated_at": now}
    except PermanentSendError as exc:
        return ForwardStatus.FAILED, {"error": str(exc), "updated_at": now}
    except SendError as exc:  # transient, or an unknown outcome: the key makes a retry safe
        if job.attempts >= runtime.policy.support.forward_attempts:
            error = f"gave up after {job.attempts} attempts: {exc}"
            return ForwardStatus.FAILED, {"error": error, "updated_at": now}
        due = now + backoff(job.attempts, runtime.policy.support.forward_backoff)
        return ForwardStatus.PENDING, {"error": str(exc), "due_at": due, "updated_at": now}
    return ForwardStatus.SENT, {"error": None, "sent_at": now, "updated_at": now}


def backoff(attempts: int, base: timedelta) -> timedelta:
    """Exponential: base, 2 base, 4 base and so on, capped at an hour."""
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def _send(runtime: Parts, job: Forward) -> None:
    settings = runtime.settings
    if job.target == "webhook":
        if settings.support_webhook_url is None:
            raise NotConfigured("NOTIFIER_SUPPORT_WEBHOOK_URL is not set")
        url = settings.support_webhook_url.get_secret_value()
        post_json(url, job.handoff, job.reference, settings.support_webhook_timeout)
        return
    if settings.support_email is None:
        raise NotConfigured("NOTIFIER_SUPPORT_EMAIL is not set")
    channel = runtime.channels.get(Channel.EMAIL) or runtime.channels[Channel.CONSOLE]
    channel.send(support_email(job, settings.support_email))


def post_json(url: str, payload: dict[str, Any], key: str, timeout: float) -> None:
    """POST the payload as JSON; 2xx is done, 408/429/5xx and network errors are transient,
    any other answer permanent. The URL is never quoted in errors (it may hold a token)."""
    body = json.dumps({"type": "handoff", **payload}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": key,
               "User-Agent": "notifier-support-forward"}  # fmt: skip
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 429) or exc.code >= 500:
            raise TransientSendError(f"support webhook answered {exc.code}") from None
        raise PermanentSendError(f"support webhook answered {exc.code}", str(exc.code)) from None
    except (urllib.error.URLError, OSError) as exc:
        raise TransientSendError(f"support webhook unreachable: {type(exc).__name__}") from None
    except ValueError:
        raise PermanentSendError("NOTIFIER_SUPPORT_WEBHOOK_URL is not a usable URL") from None


def support_email(job: Forward, to: str) -> OutboundMessage:
    """The handoff as a plain-text email for the support inbox."""
    handoff = job.handoff
    customer = handoff.get("customer") or {}
    who = customer.get("name") or customer.get("id") or handoff.get("from") or "unknown"
    flag = " PRIORITY" if handoff["priority"] else ""
    subject = f"[handoff #{handoff['id']}{flag}] {who}: {_last_words(handoff)}"
    return OutboundMessage(
        notification_id=job.id, kind="handoff", channel="email", to=to,
        body=_email_text(handoff), subject=subject[:200], reference=job.reference,
    )  # fmt: skip


def _last_words(handoff: dict[str, Any]) -> str:
    last = (handoff.get("messages") or [{}])[-1]
    words = str(last.get("text") or last.get("note") or "")
    return " ".join(words.split())[:80]


def _email_text(handoff: dict[str, Any]) -> str:
    customer = handoff.get("customer") or {}
    lines = [
        f"Handoff #{handoff['id']} ({handoff['reason']}), answer by {handoff['reply_by']}",
        f"Customer: {customer.get('name') or '-'} ({customer.get('id') or 'unknown'}), "
        f"phone {customer.get('phone') or handoff.get('from') or '-'}, "
        f"email {customer.get('email') or '-'}",
        "",
        "Conversation:",
    ]
    for entry in handoff.get("messages") or []:
        said = entry.get("text") or f"[{entry.get('note')}]"
        lines.append(f"  {entry.get('at')} {entry.get('channel') or 'note'}: {said}")
    lines += ["", "Recent orders:"]
    for order in handoff.get("orders") or []:
        lines.append(f"  {order['number']} ({order['id']}): {order['status']}, "
                     f"{order.get('total') or '-'} {order.get('currency') or ''}")  # fmt: skip
    lines += ["", "Our last messages:"]
    for message in handoff.get("last_messages") or []:
        lines.append(f"  {message['sent_at']} {message['kind']} ({message['channel']}):")
        lines += [f"    {line}" for line in (message.get("body") or "").splitlines()]
    return "\n".join(lines)
