"""The channel protocol, the outbound message, and the two ways a send can fail."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


class SendError(Exception):
    """A channel could not send a message."""


class TransientSendError(SendError):
    """Worth retrying later (rate limit, 5xx, timeout); `retry_after` in seconds if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Retrying will not help (bad number, opted out); `code` is the provider's code if any."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class UnknownOutcomeError(SendError):
    """The request may have reached the provider (a timeout after sending): do not blindly
    re-send; reconcile with the provider first."""


@dataclass(frozen=True)
class OutboundMessage:
    """A rendered message ready to go to one recipient."""

    notification_id: int
    kind: str
    channel: str
    to: str
    body: str
    subject: str | None = None
    html: str | None = None
    marketing: bool = False
    # Marketing email: this message's one-click unsubscribe URL (RFC 8058), when there is one.
    unsubscribe_url: str | None = None
    # WhatsApp business-initiated messages: an approved template and its variables.
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None
    # A stable name for a message that is not a notification (a handoff forwarded to support):
    # it names the email's Message-ID instead of the notification id.
    reference: str | None = None
    # The customer's locale (BCP 47): an email's sender may be chosen by it.
    locale: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What the provider said when it accepted the message."""

    provider_message_id: str | None
    status: str = "sent"


class Channel(Protocol):
    """Sends one message or raises TransientSendError / PermanentSendError."""

    name: str

    def send(self, message: OutboundMessage) -> Receipt: ...


@runtime_checkable
class Reconcilable(Protocol):
    """A channel that can tell whether a send with an unknown outcome went through."""

    def find_sent(
        self,
        to: str,
        body: str | None,
        since: datetime,
        until: datetime,
        exclude: Collection[str] = frozenset(),
    ) -> Receipt | None: ...


def mask_phone(phone: str) -> str:
    """+525512345678 → +52******5678: enough to recognise, not enough to use."""
    prefix = "whatsapp:" if phone.startswith("whatsapp:") else ""
    digits = phone.removeprefix(prefix)
    if len(digits) <= 6:
        return prefix + "*" * len(digits)
    return prefix + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str) -> str:
    """ana.perez@example.com → a***@example.com."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


PHONE_IN_TEXT = re.compile(r"\+\d{7,15}")


def mask_phones_in(text: str) -> str:
    """Mask every E.164 number inside a provider's message before it is logged or stored."""
    return PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group()), text)


def mask_address(address: str) -> str:
    """Mask a phone number or an email address for logs and prints."""
    return mask_email(address) if "@" in address else mask_phone(address)
