"""Messages whose fate is unknown, and messages and events nobody is working on, set right.

A send that timed out after the request left (or whose worker died mid-send) stays `sending`.
After a grace period the reconciler takes the row over (a claim of its own: the sender that
left it can no longer call the provider or write an outcome). A row whose provider call never
started is queued again at once; otherwise the provider is asked whether it took the message in
the call's window (from `provider_called_at`): if it did, the message is `sent`; if not (or the
channel cannot be asked), it is queued again; either way the finding is added to the message's
history. A worker that died before writing down where it sent leaves no recipient: the
provider is asked about the customer's phone, on each channel that can be asked, passing over
the messages already recorded for that customer. A queued message whose broker message was lost
(a flushed Redis) is handed to delivery again. No transaction is held across the provider
lookup, and the takeover keeps a second scheduler off the row.
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
from notifier.pipeline.scan import IDS_PER_MESSAGE
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
    claim: int  # the reconciler's own claim on the row
    places: tuple[tuple[Channel, str], ...]  # (channel, recipient) to ask about
    body: str | None
    # (since, until) the provider may have created it; None: the provider was never called
    window: tuple[datetime, datetime] | None
    known: frozenset[str]  # provider ids of the customer's other messages: not this one


@dataclass(frozen=True)
class Found:
    """The provider took the message after all."""

    channel: Channel
    recipient: str
    receipt: Receipt


# How asking ended when nothing was found.
NOT_FOUND, CANNOT_ASK, LOOKUP_FAILED = "not found", "cannot ask", "lookup failed"
NEVER_CALLED = "never called"
Answer = Found | str
NOTES = {
    NOT_FOUND: "the provider does not have it: sent again",
    CANNOT_ASK: "the provider cannot be asked: sent again, possibly a second time",
    NEVER_CALLED: "the provider was never called: sent again without asking",
}
SEND_AGAIN = (NOT_FOUND, CANNOT_ASK, NEVER_CALLED)


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


def _hand_over_in_batches(
    runtime: Parts, claim: Callable[[Session], list[int]], task: str, batch_task: bool = False
) -> int:
    """Claim rows batch after batch (each claim its own transaction) and hand each to `task`
    (a `*_batch` task: IDS_PER_MESSAGE ids per queue message); how many."""
    handed = 0
    while True:
        with session_scope(runtime.db_url) as session:
            ids = claim(session)
        if batch_task:
            ports.send_in_batches(runtime.dispatcher, task, ids, IDS_PER_MESSAGE)
        else:
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
    answers = [(item, _ask_provider(runtime, item)) for item in unsure]
    with session_scope(runtime.db_url) as session:
        requeued = [item.id for item, answer in answers if _settle(session, item, answer, now)]
    for notification_id in requeued:
        runtime.dispatcher.send(ports.DELIVER, notification_id)
    return len(answers) + hand_forgotten(runtime, now)


def _settle(session: Session, item: Unsure, answer: Answer, now: datetime) -> bool:
    """Write what was found over the reconciler's claim; True when the row was queued again.
    A row taken over again meanwhile (this pass was slower than the grace) is left alone."""
    if answer == LOOKUP_FAILED:
        return False  # still `sending`: the next pass asks again
    if isinstance(answer, Found):
        route = {"channel": answer.channel, "recipient": answer.recipient}
        held = notifications.mark_sent(
            session, item.id, item.claim, answer.receipt.provider_message_id, now, route
        )
    else:
        held = notifications.requeue(session, item.id, item.claim, now)
    if not held:
        log.warning("message %s was taken over again while being reconciled: left", item.id)
        return False
    notifications.append_history(session, item.id, item.claim, _finding(answer, now))
    return answer in SEND_AGAIN


def hand_forgotten(runtime: Parts, now: datetime) -> int:
    """Hand due `queued` messages nobody touched for QUEUED_GRACE (their broker message was
    lost) to delivery again, batch after batch, IDS_PER_MESSAGE ids per queue message; the
    claim makes a second copy harmless."""

    def claim(session: Session) -> list[int]:
        return notifications.claim_forgotten_queued(session, now - QUEUED_GRACE, now, BATCH)

    handed = _hand_over_in_batches(runtime, claim, ports.DELIVER_BATCH, batch_task=True)
    if handed:
        log.warning("handed %d forgotten queued messages to delivery again", handed)
    return handed


def _window(
    called_at: datetime, last: dict[str, Any], timeout: timedelta
) -> tuple[datetime, datetime]:
    """When the provider may have created the message: from the start of the provider call
    (the claim comes earlier, before composing and the rate limit's wait of up to 30 s) until
    the sender saw the call time out, or, for a sender that died during the call, until the
    call could have lasted (requests applies the timeout to connecting and to reading apart).
    The slack covers the provider's clock, and its dates cut to the second."""
    if last.get("outcome") == "unknown":
        until = datetime.fromisoformat(last["at"]) + WINDOW_SLACK
    else:
        until = called_at + 2 * timeout + WINDOW_SLACK
    return called_at - WINDOW_SLACK, until


def _unsure(session: Session, runtime: Parts, row: Any) -> Unsure:
    timeout = timedelta(seconds=runtime.settings.twilio_timeout)
    last = (row.history or [{}])[-1]
    called_at = row.provider_called_at
    window = None if called_at is None else _window(called_at, last, timeout)
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
    return Unsure(row.id, row.claim_token, places, body, window, known or frozenset())


def _ask_provider(runtime: Parts, item: Unsure) -> Answer:
    """Found when the provider took the message; NOT_FOUND when it did not; CANNOT_ASK for
    channels that cannot be asked (or no address); LOOKUP_FAILED: try again next pass.

    NEVER_CALLED, without asking, when the provider call did not start under the claim taken
    over. That is safe to send again: a sender commits the call's start over its claim before
    calling (`pipeline/claims.py`), and the takeover replaced that claim in the statement that
    read no start, so the sender that left the row can no longer start the call either."""
    if item.window is None:
        return NEVER_CALLED
    since, until = item.window
    answer: Answer = CANNOT_ASK
    for channel, recipient in item.places:
        adapter: Any = runtime.channels.get(channel)
        if not isinstance(adapter, Reconcilable):
            continue
        try:
            receipt = adapter.find_sent(recipient, item.body, since, until, item.known)
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
