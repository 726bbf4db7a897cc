"""What a choice asks the shop's platform to do, carried out from its row: a customer's
`cancel` becomes Shopify's `orderCancel` with a full refund (when configured and a Shopify
order). The row is claimed (locked) for the call, so a second hand-over does nothing; a
transient failure leaves it pending for the scheduler's next pass, up to `MAX_ATTEMPTS`; a
refusal, or giving up, puts a person on it (a priority handoff), since the customer was told
their order is being canceled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from adapters.platforms import shopify_admin
from notifier import ports
from notifier.care import shop_actions
from notifier.care.parts import Parts
from notifier.config import Settings
from notifier.errors import PermanentError, TransientError
from notifier.store import choices as stored
from notifier.store import handoffs, orders
from notifier.store.db import session_scope
from notifier.store.models import CustomerChoice

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def can_cancel_at_shop(settings: Settings, order_id: str | None) -> bool:
    """True when a cancel of this order can be carried out at Shopify."""
    return bool(
        order_id
        and shop_actions.shopify_configured(settings)
        and shopify_admin.order_gid(order_id) is not None
    )


def carry_out(runtime: Parts, choice_id: int) -> None:
    """Carry out the choice's cancel at the shop, once; nothing when it is not pending."""
    forwards: list[int] = []
    with session_scope(runtime.db_url) as session:
        choice = stored.claim_shop_action(session, choice_id)
        if choice is None:
            return
        now = runtime.clock()
        outcome, error = _call(runtime.settings, choice)
        pending = outcome == stored.PENDING
        retry_at = now + _backoff(choice.shop_action_attempts) if pending else None
        stored.finish_shop_action(session, choice.id, outcome, error, retry_at)
        if outcome in (stored.REFUSED, stored.FAILED):
            forwards = _person_follows_up(session, runtime, choice, error, now)
    log.info("choice %s: the cancel at the shop is %s", choice_id, outcome)
    for forward_id in forwards:
        runtime.dispatcher.send(ports.FORWARD, forward_id)


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to 1 h between tries."""
    wait: timedelta = FIRST_BACKOFF * (2 ** min(attempts, 10))
    return min(wait, MAX_BACKOFF)


def _call(settings: Settings, choice: CustomerChoice) -> tuple[str, str | None]:
    try:
        shop_actions.cancel_at_shop(settings, choice.order_id or "")
    except TransientError as exc:
        tried = choice.shop_action_attempts + 1
        return (stored.FAILED if tried >= MAX_ATTEMPTS else stored.PENDING), str(exc)
    except PermanentError as exc:
        refused = isinstance(exc, shop_actions.CancelRefusedByShop)
        return (stored.REFUSED if refused else stored.FAILED), str(exc)
    return stored.DONE, None


def _person_follows_up(
    session: Session, runtime: Parts, choice: CustomerChoice, error: str | None, now: datetime
) -> list[int]:
    customer = orders.get_customer(session, choice.customer_id)
    if customer is None:
        return []
    note = f"the cancel of order {choice.order_id} at the shop did not go through: {error}"
    opening = handoffs.Opening(customer.id, customer, "cancel_not_done", priority=True)
    entry = {"at": now.isoformat(), "note": note}
    handoff, _ = handoffs.open_or_join(session, opening, entry, now, runtime.policy)
    return handoffs.plan_forwards(session, handoff, now)


def sweep(runtime: Parts, now: datetime) -> int:
    """The scheduler's part: hand over every cancel due to be tried (again); how many."""
    with session_scope(runtime.db_url) as session:
        pending = stored.pending_shop_actions(session, now)
    for choice_id in pending:
        runtime.dispatcher.send(ports.SHOP_ACTION, choice_id)
    return len(pending)
