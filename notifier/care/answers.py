"""Which of our messages a customer's inbound message answers, and with which choice.

A tap carries its button's signed id: the message and the choice, checked against the key,
the customer's number and the answer window. A reply quoting one of our messages
(`OriginalRepliedMessageSid`) answers that one; any other reply answers the customer's latest
message that offered choices within the window (a word: the latest that offered what it
names). A button id that is not ours (a template of the shop's own) is read as its text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from notifier.care.choices import Answer
from notifier.care.parts import Parts
from notifier.decide import choices
from notifier.store import choice_tokens
from notifier.store import choices as stored
from notifier.store.models import Customer, Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heard:
    """An inbound message as Twilio posted it."""

    channel: str
    body: str
    sid: str | None
    button: str | None
    replied_to: str | None


def answer_of(
    session: Session, runtime: Parts, customers: Sequence[Customer], heard: Heard
) -> Answer | None:
    """The choice the message makes, or None when it makes none."""
    ids = [customer.id for customer in customers]
    since = runtime.clock() - choices.ANSWER_WINDOW
    if heard.button:
        tapped = _tapped(session, runtime, ids, heard)
        if tapped is not None:
            return tapped
    quoted = None
    if heard.replied_to:
        quoted = _answerable(stored.by_provider_id(session, heard.replied_to), ids, runtime)
    targets = [quoted] if quoted else stored.open_offerings(session, ids, since)
    found = choices.first_answered(heard.body, [t.context["choices"] for t in targets])
    if found is None:
        return None
    index, choice = found
    return Answer(targets[index].id, choice, heard.channel, "reply", heard.sid)


def _tapped(
    session: Session, runtime: Parts, customer_ids: Sequence[str], heard: Heard
) -> Answer | None:
    secret = runtime.settings.link_secret
    key = choice_tokens.signing_key(
        session, secret.get_secret_value() if secret else None, runtime.clock()
    )
    ref = choice_tokens.read(key, heard.button or "")
    if ref is None:
        log.info("a button id that is not ours: read as its text")
        return None
    message = _answerable(session.get(Notification, ref.notification_id), customer_ids, runtime)
    if message is None or ref.choice not in message.context["choices"]:
        log.info("a tap on message %s: not theirs, or too old", ref.notification_id)
        return None
    return Answer(message.id, ref.choice, heard.channel, "button", heard.sid)


def _answerable(
    message: Notification | None, customer_ids: Sequence[str], runtime: Parts
) -> Notification | None:
    """The message, if it offered choices, to one of these customers, within the window."""
    found = stored.offering(message)
    if found is None or found.customer_id not in customer_ids or found.sent_at is None:
        return None
    return found if found.sent_at >= runtime.clock() - choices.ANSWER_WINDOW else None
