"""Messages whose fate is unknown, and messages and events nobody is working on, set right.

A send that timed out after the request left (or whose worker died mid-send) stays `sending`.
After a grace period the provider is asked whether it took the message: if it did, the message is
`sent`; if not (or the channel cannot be asked), it is queued again. A queued message whose
broker message was lost (a flushed Redis) is handed to delivery again. Rows are claimed before
the provider is asked (no transaction is held across the call), so two schedulers do not double
the work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from adapters.base import Receipt, Reconcilable, SendError
from notifier import broker, queries
from notifier.db import session_scope
from notifier.models import Channel

if TYPE_CHECKING:
    from notifier.runtime import Runtime

log = logging.getLogger(__name__)

UNKNOWN_GRACE = timedelta(seconds=60)
EVENT_GRACE = timedelta(minutes=10)
QUEUED_GRACE = timedelta(minutes=5)
WINDOW_SLACK = timedelta(seconds=5)
BATCH = 200


@dataclass(frozen=True)
class Unsure:
    """A `sending` message to ask about: where it went and when it was tried."""

    id: int
    channel: Channel | None
    recipient: str | None
    body: str | None
    since: datetime
    until: datetime


def sweep_events(runtime: Runtime, now: datetime) -> int:
    """Hand stored events that are still waiting long after they were enqueued to the broker
    again (a flushed or restarted Redis lost them); processing twice does nothing twice.
    Batch after batch: a lost queue can hold thousands."""
    handed = 0
    while True:
        with session_scope(runtime.db_url) as session:
            ids = queries.claim_waiting_events(session, now - EVENT_GRACE, now, BATCH)
        for event_row_id in ids:
            runtime.dispatcher.send(broker.PROCESS_EVENT, event_row_id)
        handed += len(ids)
        if len(ids) < BATCH:
            break
    if handed:
        log.warning("handed %d waiting events to the broker again", handed)
    return handed


def reconcile(runtime: Runtime, now: datetime) -> int:
    """One pass over stale `sending` and forgotten `queued` messages; how many were handled."""
    with session_scope(runtime.db_url) as session:
        rows = queries.claim_stale_sending(session, now - UNKNOWN_GRACE, now, BATCH)
        unsure = [_unsure(runtime, row) for row in rows]
    answers = [(item.id, _ask_provider(runtime, item)) for item in unsure]
    requeue = [nid for nid, answer in answers if answer is None]
    with session_scope(runtime.db_url) as session:
        for nid, answer in answers:
            if isinstance(answer, Receipt):
                queries.mark_sent(session, nid, answer.provider_message_id, now)
        queries.requeue(session, requeue, now)
    for notification_id in requeue:
        runtime.dispatcher.send(broker.DELIVER, notification_id)
    return len(answers) + hand_forgotten(runtime, now)


def hand_forgotten(runtime: Runtime, now: datetime) -> int:
    """Hand due `queued` messages nobody touched for QUEUED_GRACE (their broker message was
    lost) to delivery again, batch after batch; the claim makes a second copy harmless."""
    handed = 0
    while True:
        with session_scope(runtime.db_url) as session:
            ids = queries.claim_forgotten_queued(session, now - QUEUED_GRACE, now, BATCH)
        for notification_id in ids:
            runtime.dispatcher.send(broker.DELIVER, notification_id)
        handed += len(ids)
        if len(ids) < BATCH:
            break
    if handed:
        log.warning("handed %d forgotten queued messages to delivery again", handed)
    return handed


def _unsure(runtime: Runtime, row: Any) -> Unsure:
    timeout = timedelta(seconds=runtime.settings.twilio_timeout)
    last = (row.history or [{}])[-1]
    if last.get("outcome") == "unknown":
        failed_at = datetime.fromisoformat(last["at"])
        since, until = failed_at - timeout - WINDOW_SLACK, failed_at + WINDOW_SLACK
    else:  # the worker died between its claim and its record
        since, until = row.updated_at - WINDOW_SLACK, row.updated_at + timeout + WINDOW_SLACK
    body = None if last.get("content_sid") else row.body
    return Unsure(row.id, row.channel, row.recipient, body, since, until)


def _ask_provider(runtime: Runtime, item: Unsure) -> Receipt | bool | None:
    """The provider's receipt if it took the message; None if it did not (or cannot say
    for a channel that cannot be asked); False when asking failed (try again next pass)."""
    adapter: Any = runtime.channels.get(item.channel) if item.channel else None
    if not isinstance(adapter, Reconcilable) or item.recipient is None:
        return None
    try:
        return adapter.find_sent(item.recipient, item.body, item.since, item.until)
    except SendError as exc:
        log.warning("could not reconcile message %s: %s", item.id, exc)
        return False
