"""A choice made through the link of an email: the signed token names the message and the
choice; the page asks to confirm (mail scanners open links) and the confirmation takes it like
a tap. A token that is not ours, a message that did not offer the choice or one older than the
answer window is `UnknownChoice`."""

from __future__ import annotations

from dataclasses import dataclass

from notifier.care import choices as taking
from notifier.care.choices import Answer
from notifier.care.parts import Parts
from notifier.decide.choices import ANSWER_WINDOW
from notifier.store import choice_tokens, orders
from notifier.store import choices as stored
from notifier.store.db import session_scope
from notifier.store.models import Notification


class UnknownChoice(LookupError):
    """No open choice has this link."""


@dataclass(frozen=True)
class Offered:
    """What the page shows: whose language, which order, which choice."""

    notification_id: int
    choice: str
    locale: str
    order_number: str | None


def offered(runtime: Parts, token: str) -> Offered:
    """The open choice a link names; UnknownChoice when there is none."""
    now = runtime.clock()
    with session_scope(runtime.db_url) as session:
        secret = runtime.settings.link_secret
        key = choice_tokens.signing_key(session, secret.get_secret_value() if secret else None, now)
        ref = choice_tokens.read(key, token)
        message = stored.offering(session.get(Notification, ref.notification_id)) if ref else None
        if ref is None or message is None or ref.choice not in message.context["choices"]:
            raise UnknownChoice("no open choice has this link")
        if message.sent_at is None or message.sent_at < now - ANSWER_WINDOW:
            raise UnknownChoice("this choice is closed: it was offered more than 7 days ago")
        customer = orders.get_customer(session, message.customer_id)
        locale = (customer.locale if customer else None) or runtime.settings.default_locale
        number = (message.context.get("order") or {}).get("number") or message.order_id
        return Offered(message.id, ref.choice, locale, number)


def choose(runtime: Parts, token: str) -> Offered:
    """Take the choice the link names (a second confirmation changes nothing)."""
    found = offered(runtime, token)
    taking.take(runtime, Answer(found.notification_id, found.choice, "email", "link"))
    return found
