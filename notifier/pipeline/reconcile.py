"""Messages whose fate is unknown, and messages and events nobody is working on, set right.

A send that timed out after the request left (or whose worker died mid-send) stays `sending`.
After a grace period the provider is asked whether it took the message: if it did, the message is
`sent`; if not (or the channel cannot be asked), it is queued again; either way the finding is
added to the message's history. A worker that died before writing down where it sent leaves no
recipient: the provider is asked about the customer's phone, on each channel that can be asked,
passing over the messages already recorded for that customer. A queued message whose
broker message was lost (a flushed Redis) is handed to delivery again. Rows are claimed before
the provider is asked (no transaction is held across the call), so two schedulers do not double
the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from adapters.channels.base import Receipt, Reconcilable, SendError
from notifier import ports
from notifier.pipeline.parts import Parts
from notifier.store import events, notifications, orders
from notifier.store.db import session_scope
from notifier.vocabulary import Channel

log = logging.getLogger(__name__)

UNKNOWN_GRACE = timedelta(seconds=60)
EVENT_GRACE = timedelta(minutes=10)
QUEUED_GRACE = timedelta(minutes=5)
WINDOW_SLACK = timedelta(seconds=5)
BATCH = 200
PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


@dataclass(frozen=True)
class Unsure:
    """A `sending` message to ask about: where it may have gone and when it was tried."""

    id: int
    places: tuple[tuple[Channel, str], ...]  # (channel, recipient) to ask about
    body: str | None
    since: datetime
    until: datetime
    known: frozenset[str]  # provider ids of the customer's other messages: not this one


@dataclass(frozen=True)
class Found:
    """The provider took the message after all."""

    channel: Channel
    recipient: str
    receipt: Receipt


# How asking ended when nothing was found.
NOT_FOUND, CANNOT_ASK, LOOKUP_FAILED = "not found", "cannot ask", "lookup failed"
Answer = Found | str
NOTES = {
    NOT_FOUND: "the provider does not have it: sent again",
    CANNOT_ASK: "the provider cannot be asked: sent again, possibly a second time",
}


def sweep_events(runtime: Parts, now: datetime) -> int:
    """Hand stored events that are still waiting long after they were enqueued to the broker
    again (a flushed or restarted Redis lost them); processing twice does nothing twice.
    Batch after batch: a lost queue can hold thousands."""

    def claim(session: Session) -> list[int]:
        return events.claim_waiting_events(session, now - EVENT_GRACE, now, BATCH)

    handed = _hand_over_in_batches(runtime, claim, ports.PROCESS_EVENT)
    if handed:
        log.warning("handed %d waiting events to the broker again", handed)
    return handed


def _hand_over_in_batches(runtime: Parts, claim: Callable[[Session], list[int]], task: str) -> int:
    """Claim rows batch after batch (each claim its own transaction) and hand each to `task`;
    how many."""
    handed = 0
    while True:
        with session_scope(runtime.db_url) as session:
            ids = claim(session)
        for row_id in ids:
            runtime.dispatcher.send(task, row_id)
        handed += len(ids)
        if len(ids) < BATCH:
            return handed


def reconcile(runtime: Parts, now: datetime) -> int:
    """One pass over stale `sending` and forgotten `queued` messages; how many were handled.
    What the provider said is kept in each message's history."""
    with session_scope(runtime.db_url) as session:
        rows = notifications.claim_stale_sending(session, now - UNKNOWN_GRACE, now, BATCH)
        unsure = [_unsure(session, runtime, row) for row in rows]
    answers = [(item.id, _ask_provider(runtime, item)) for item in unsure]
    requeue = [nid for nid, answer in answers if answer in (NOT_FOUND, CANNOT_ASK)]
    with session_scope(runtime.db_url) as session:
        for nid, answer in answers:
            if isinstance(answer, Found):
                route = {"channel": answer.channel, "recipient": answer.recipient}
                notifications.mark_sent(
                    session, nid, answer.receipt.provider_message_id, now, route
                )
            if answer != LOOKUP_FAILED:
                notifications.append_history(session, nid, _finding(answer, now))
        notifications.requeue(session, requeue, now)
    for notification_id in requeue:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
    return len(answers) + hand_forgotten(runtime, now)


def hand_forgotten(runtime: Parts, now: datetime) -> int:
    """Hand due `queued` messages nobody touched for QUEUED_GRACE (their broker message was
    lost) to delivery again, batch after batch; the claim makes a second copy harmless."""

    def claim(session: Session) -> list[int]:
        return notifications.claim_forgotten_queued(session, now - QUEUED_GRACE, now, BATCH)

    handed = _hand_over_in_batches(runtime, claim, ports.DELIVER)
    if handed:
        log.warning("handed %d forgotten queued messages to delivery again", handed)
    return handed


def _unsure(session: Session, runtime: Parts, row: Any) -> Unsure:
    timeout = timedelta(seconds=runtime.settings.twilio_timeout)
    last = (row.history or [{}])[-1]
    if last.get("outcome") == "unknown":
        failed_at = datetime.fromisoformat(last["at"])
        since, until = failed_at - timeout - WINDOW_SLACK, failed_at + WINDOW_SLACK
    else:  # the worker died between its claim and its record
        since, until = row.updated_at - WINDOW_SLACK, row.updated_at + timeout + WINDOW_SLACK
    body = None if last.get("content_sid") else row.body
    known = (
        notifications.provider_ids_of_customer(session, row.customer_id)
        if row.customer_id
        else None
    )
    places: tuple[tuple[Channel, str], ...] = ()
    if row.channel is not None and row.recipient is not None:
        places = ((row.channel, row.recipient),)
    else:  # it died before writing down where: wherever the customer's phone is reached
        customer = orders.get_customer(session, row.customer_id)
        if customer is not None and customer.phone:
            places = tuple((channel, customer.phone) for channel in PHONE_CHANNELS)
    return Unsure(row.id, places, body, since, until, known or frozenset())


def _ask_provider(runtime: Parts, item: Unsure) -> Answer:
    """Found when the provider took the message; NOT_FOUND when it did not; CANNOT_ASK for
    channels that cannot be asked (or no address); LOOKUP_FAILED: try again next pass."""
    answer: Answer = CANNOT_ASK
    for channel, recipient in item.places:
        adapter: Any = runtime.channels.get(channel)
        if not isinstance(adapter, Reconcilable):
            continue
        try:
            receipt = adapter.find_sent(recipient, item.body, item.since, item.until, item.known)
        except SendError as exc:
            log.warning("could not reconcile message %s: %s", item.id, exc)
            return LOOKUP_FAILED
        if receipt is not None:
            return Found(channel, recipient, receipt)
        answer = NOT_FOUND
    return answer


def _finding(answer: Answer, now: datetime) -> dict[str, Any]:
    """The history entry of what the reconciler found out."""
    if isinstance(answer, Found):
        return {"channel": str(answer.channel), "outcome": "reconciled", "at": now.isoformat(),
                "provider_message_id": answer.receipt.provider_message_id,
                "note": "the provider had taken it: not sent again"}  # fmt: skip
    return {"outcome": "requeued", "at": now.isoformat(), "note": NOTES[answer]}
