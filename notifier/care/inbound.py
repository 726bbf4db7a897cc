"""What customers write back (inbound SMS and WhatsApp).

A tap on a button of ours, or a reply naming a choice ("2", "cancelar") of the customer's latest
message that offered choices, is that choice (`care/answers.py` finds which). Inbound STOP/START
change the customer's own opt-outs; any inbound WhatsApp message opens the 24-hour window for
free text; a bare CANCELAR with nothing open to answer gets a short question; any other words
are a conversation for a person (a handoff).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from adapters.channels.base import mask_phone
from adapters.platforms.common import normalise_phone
from notifier.care import answers, handoffs
from notifier.care import choices as taken
from notifier.care.choices import Answer
from notifier.care.parts import Parts
from notifier.decide import choices
from notifier.decide.consent import Keyword, channel_of_sender, keyword_of
from notifier.errors import TemplateError
from notifier.store import orders
from notifier.store.db import session_scope
from notifier.store.models import Customer

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)
QUESTION = "question"  # the reply to a word asking for an action when no choice is open


@dataclass(frozen=True)
class Tap:
    """What Twilio adds to an inbound message that answers one of ours: a quick-reply tap's
    button id (`ButtonPayload`) and the id of the message replied to
    (`OriginalRepliedMessageSid`)."""

    button: str | None = None
    replied_to: str | None = None


def handle_inbound(
    runtime: Parts, sender: str, body: str, sid: str | None = None, tap: Tap | None = None
) -> str | None:
    """Apply a customer's inbound message; the reply to send back, if any. An answer to a
    message that offered choices is taken (`care/choices.py`); STOP/START/HELP are keywords; a
    word asking for an action with no open choice gets a short question; other free text
    opens (or joins) a handoff: a person answers it, and the customer is told when."""
    channel, raw_phone = channel_of_sender(sender)
    # read as the platforms read theirs: WhatsApp writes Mexican mobiles `+521…`
    phone = normalise_phone(raw_phone, None) or raw_phone
    tap = tap or Tap()
    keyword = None if tap.button else keyword_of(body)
    with session_scope(runtime.db_url) as session:
        customers = orders.customers_by_phone(session, phone)
        for customer in customers:
            _apply_inbound(runtime, customer, channel, keyword)
        locale = _locale_of(runtime, customers)
        latest = max(customers, key=lambda c: c.updated_at, default=None)
        heard = answers.Heard(channel, body, sid, tap.button, tap.replied_to)
        answer = None if keyword else answers.answer_of(session, runtime, customers, heard)
    log.info("inbound %s from %s: %s", channel, mask_phone(phone), _what(keyword, answer))
    if answer is not None:
        _take(runtime, answer, phone)
        return None
    if keyword:
        return _reply(runtime, str(keyword), locale)
    if choices.is_action_word(body):
        return _reply(runtime, QUESTION, locale)  # never a silent action on a bare CANCELAR
    if body.strip():
        _hand_over(runtime, channel, phone, body.strip(), latest.id if latest else None, sid)
    return None


def _what(keyword: Keyword | None, answer: Answer | None) -> str:
    if answer is not None:
        return f"chose {answer.choice} ({answer.via})"
    return str(keyword) if keyword else "free text"


def _take(runtime: Parts, answer: Answer, phone: str) -> None:
    """Take the choice; like a handoff, a failure is logged, never a 500 for Twilio."""
    try:
        taken.take(runtime, answer)
    except Exception as exc:  # never a 500 for a customer's words
        log.error("could not take a choice from %s: %s", mask_phone(phone), type(exc).__name__)


def _hand_over(
    runtime: Parts, channel: str, phone: str, text: str, customer_id: str | None, sid: str | None
) -> None:
    """Open or join the customer's handoff. Twilio must get its 200 whatever happens here (a
    500 would make it post the same message again), so a failure is logged, not raised."""
    try:
        handoffs.receive(runtime, channel, phone, text, customer_id, sid)
    except Exception as exc:  # never a 500 for a customer's words
        log.error(
            "could not hand over a message from %s: %s", mask_phone(phone), type(exc).__name__
        )


def _apply_inbound(
    runtime: Parts, customer: Customer, channel: str, keyword: Keyword | None
) -> None:
    if channel == "whatsapp":
        customer.whatsapp_window_until = runtime.clock() + WHATSAPP_WINDOW
    stopped = set(customer.opted_out or [])
    if keyword is Keyword.STOP:
        customer.opted_out = sorted(stopped | {channel})
    elif keyword is Keyword.START:
        customer.opted_out = sorted(stopped - {channel})


def _locale_of(runtime: Parts, customers: list[Customer]) -> str:
    known = [c.locale for c in customers if c.locale]
    return known[0] if known else runtime.settings.default_locale


def _reply(runtime: Parts, name: str, locale: str) -> str | None:
    view = {"locale": locale}
    try:
        path, _ = runtime.renderer.resolve("_replies", f"{name}.txt", locale)
        return runtime.renderer.render_expression(
            (runtime.renderer.templates_dir / path).read_text(encoding="utf-8"), view
        )
    except (TemplateError, OSError) as exc:
        log.warning("no reply for %s in %s: %s", name, locale, exc)
        return None
