"""A sender's claim on a message: the `claim_token` it took, which each of its writes must
still find on the row.

A claim is taken by delivery (`queued → sending`), by processing for the messages it inserts
already claimed, and by the reconciler when it takes over a stale `sending` row. Once another
claim replaced ours, we neither call the provider nor write an outcome: the row is the new
holder's, and a write of ours would undo what it found or sent.
"""

from __future__ import annotations

import logging

from notifier.pipeline.parts import Parts
from notifier.store import notifications
from notifier.store.db import session_scope

log = logging.getLogger(__name__)


class ClaimLost(Exception):
    """Our claim on the message was taken over before we called the provider."""


def start_provider_call(runtime: Parts, notification_id: int, claim: int) -> None:
    """Commit the moment the provider call starts, over our claim, before making the call: the
    reconciler searches the provider from there, and a row whose call never started is sent
    again without asking. Raises ClaimLost (and nothing is sent) when the claim is gone."""
    with session_scope(runtime.db_url) as session:
        started = notifications.start_provider_call(
            session, notification_id, claim, runtime.clock()
        )
    if not started:
        raise ClaimLost(f"message {notification_id}: claim {claim} was taken over")


def warn_claim_lost(notification_id: int, claim: int, what: str) -> None:
    """Log that a sender found its claim taken over, and what it therefore did not do."""
    log.warning(
        "message %s: claim %s was taken over (the reconciler or another sender has it); %s",
        notification_id,
        claim,
        what,
    )
