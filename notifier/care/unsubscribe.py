"""One-click unsubscribe (RFC 8058): the customer leaves marketing at once, on every channel.

The opt-out is the customer's own (`"marketing"` among `customers.opted_out`), so no event of the
shop turns it back on; the marketing messages still pending for the customer are canceled in the
same transaction, and the email that carried the link shows the unsubscribe in its history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from notifier.decide.followups import Cancel
from notifier.decide.routing import MARKETING_OPT_OUT
from notifier.ports import Core
from notifier.store import notifications, orders, shop_webhooks, unsubscribes
from notifier.store.db import session_scope
from notifier.store.models import Customer, Notification
from notifier.vocabulary import MARKETING_KINDS

log = logging.getLogger(__name__)
CANCELED_BY = "unsubscribe"


class UnknownLink(LookupError):
    """No unsubscribe link has this token."""


@dataclass(frozen=True)
class Unsubscribed:
    """What became of a click: the customer's locale (for the page) and whether it was new."""

    locale: str | None
    already: bool
    canceled: int


def unsubscribe(runtime: Core, token: str) -> Unsubscribed:
    """Take the customer out of marketing; a second click changes nothing."""
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        link = unsubscribes.find(session, token)
        if link is None:
            raise UnknownLink("no unsubscribe link has this token")
        customer = session.get(Customer, link.customer_id)
        locale = customer.locale if customer else None
        if link.used_at is not None:
            return Unsubscribed(locale, already=True, canceled=0)
        link.used_at = now
        orders.opt_out(session, link.customer_id, [MARKETING_OPT_OUT])
        cancel = Cancel(kinds=MARKETING_KINDS, customer_id=link.customer_id)
        canceled = notifications.cancel_pending(session, cancel, CANCELED_BY, now)
        if canceled:
            shop_webhooks.tell_canceled(session, cancel, CANCELED_BY, now)
        carrier = session.get(Notification, link.notification_id)
        if carrier is not None:
            entry = {"at": now.isoformat(), "outcome": "unsubscribed", "via": "one-click link"}
            carrier.history = [*(carrier.history or []), entry]
    log.info(
        "customer %s left marketing (one-click); %d pending canceled", link.customer_id, canceled
    )
    return Unsubscribed(locale, already=False, canceled=canceled)
