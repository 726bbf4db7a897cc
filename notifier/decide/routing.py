"""Which channel a message takes, and to which address (pure: no database, no clock).

The customer's own channel order wins over the policy's; a channel is usable when the customer
did not refuse it and we have an address for it. With no provider configured at all, the console
stands in for the first usable channel and prints what that channel would have carried.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from notifier.vocabulary import Channel, Kind

PHONE_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})


@dataclass(frozen=True)
class Contact:
    """What routing needs to know about a customer."""

    phone: str | None
    email: str | None
    channels: Sequence[str] | None
    consent: dict[str, bool]
    opted_out: Collection[str] = ()


MARKETING_OPT_OUT = "marketing"  # among a customer's own opt-outs: they left all marketing


@dataclass(frozen=True)
class Route:
    """Send on `channel` to `recipient`, rendered with `template_channel`'s templates."""

    channel: Channel
    template_channel: Channel
    recipient: str


@dataclass(frozen=True)
class Skip:
    """No message goes out, and why."""

    reason: str


def address_for(channel: Channel, contact: Contact) -> str | None:
    """The customer's address on a channel, if we have one."""
    return contact.phone if channel in PHONE_CHANNELS else contact.email


def _allowed(contact: Contact, name: str) -> bool:
    return contact.consent.get(name, True) and name not in contact.opted_out


def _usable(contact: Contact, order: Sequence[str]) -> list[tuple[Channel, str]]:
    usable = []
    for name in order:
        channel = Channel(name)
        address = address_for(channel, contact)
        if address and _allowed(contact, name):
            usable.append((channel, address))
    return usable


def _candidates(
    contact: Contact,
    default_order: Sequence[str],
    excluded: Collection[Channel],
    only: Channel | None,
) -> list[str]:
    preference = list(contact.channels or default_order)
    if only is not None:
        preference = [only] if contact.channels is None or only in contact.channels else []
    return [name for name in preference if name not in excluded]


def choose_route(
    kind: Kind,
    contact: Contact | None,
    default_order: Sequence[str],
    configured: Collection[Channel],
    excluded: Collection[Channel] = (),
    only: Channel | None = None,
) -> Route | Skip:
    """The first channel that the customer allows, we can address, and a provider serves.

    `excluded` channels already failed for good for this message; `only` makes a
    single-channel message (the email copy), sent only if the customer's channels allow it."""
    if contact is None:
        return Skip("no customer known for this order")
    if kind.is_marketing and not contact.consent.get("marketing", False):
        return Skip("no marketing consent")
    if kind.is_marketing and MARKETING_OPT_OUT in contact.opted_out:
        return Skip("the customer unsubscribed from marketing")
    usable = _usable(contact, _candidates(contact, default_order, excluded, only))
    if not usable:
        return Skip("no usable channel: no consented channel with an address")
    if not configured:
        channel, address = usable[0]
        return Route(Channel.CONSOLE, channel, address)
    for channel, address in usable:
        if channel in configured:
            return Route(channel, channel, address)
    return Skip("no usable channel: none of the customer's channels is configured")
