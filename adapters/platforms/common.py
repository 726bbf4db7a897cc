"""What every platform adapter shares: signatures, phone numbers, contacts, fetching, results.

Adapters are pure mappings from a platform's payload to the notifier's events (CONTRACT §1, as
plain JSON objects); the notifier validates and ingests what they return. Nothing here imports
the notifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import phonenumbers

Event = dict[str, Any]


class PlatformError(Exception):
    """Base of what a platform adapter raises on purpose."""


class BadSignature(PlatformError):
    """The request is not from the platform we trust (wrong or missing signature or key)."""


class BadPayload(PlatformError):
    """The payload lacks what the adapter needs; `field` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class FetchFailed(PlatformError):
    """The platform's API did not give us the resource; `transient` when retrying may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass
class Mapping:
    """What one webhook became: events to ingest, notes worth recording, or why it was ignored."""

    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: str | None = None


def ignored(reason: str) -> Mapping:
    """A webhook we accept and do nothing with (a topic or state we do not map)."""
    return Mapping(ignored=reason)


def hmac_sha256(secret: str, body: bytes) -> bytes:
    """The raw HMAC-SHA256 digest of a body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def check_base64_hmac(secret: str, body: bytes, header: str | None, name: str) -> None:
    """Raise BadSignature unless `header` is base64(HMAC-SHA256(body)) (Shopify, WooCommerce)."""
    expected = base64.b64encode(hmac_sha256(secret, body)).decode()
    if header is None or not hmac.compare_digest(header.strip().encode(), expected.encode()):
        raise BadSignature(f"{name} {'missing' if header is None else 'does not match the body'}")


def check_hex_hmac(secret: str, body: bytes, header: str | None, name: str) -> None:
    """Raise BadSignature unless `header` is hex(HMAC-SHA256(body)) (Tiendanube)."""
    expected = hmac_sha256(secret, body).hex()
    given = (header or "").strip().lower().encode()
    if header is None or not hmac.compare_digest(given, expected.encode()):
        raise BadSignature(f"{name} {'missing' if header is None else 'does not match the body'}")


def check_equal(expected: str, given: str | None, name: str) -> None:
    """Raise BadSignature unless a shared key or id matches (VTEX hook key, Mercado Libre app)."""
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSignature(f"{name} {'missing' if given is None else 'does not match'}")


def decode_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or BadPayload naming what is wrong."""
    try:
        decoded = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadPayload("(body)", f"invalid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise BadPayload("(body)", "expected a JSON object")
    return decoded


# Mexico dropped the "1" after +52 for mobiles in 2019; old address books still carry it.
_MX_LEGACY_MOBILE = re.compile(r"^1(\d{10})$")


def normalise_phone(raw: Any, region: str | None) -> str | None:
    """A platform's phone number as E.164, or None when it is not a usable number.

    `region` (ISO 3166 alpha-2) is how to read a number written without its country code:
    the address's country, else the shop's. `+52 1 …` (Mexico's legacy mobile prefix) becomes
    `+52 …`."""
    if not isinstance(raw, str | int) or not str(raw).strip():
        return None
    try:
        number = phonenumbers.parse(str(raw), (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    legacy = _MX_LEGACY_MOBILE.match(str(number.national_number))
    if number.country_code == 52 and legacy:
        number = phonenumbers.parse("+52" + legacy.group(1), None)
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Contact:
    """A customer as a platform describes them, before normalisation."""

    id: str
    name: str | None = None
    emails: list[Any] = field(default_factory=list)
    phones: list[tuple[Any, str | None]] = field(default_factory=list)  # (number, its region)
    locale: str | None = None


def customer_section(contact: Contact, default_region: str, notes: list[str]) -> Event:
    """The event's `customer` from the first usable email and phone; notes say what was not
    usable (a payload without any usable contact is still recorded, with the reason)."""
    customer: Event = {"id": contact.id}
    if contact.name and contact.name.strip():
        customer["name"] = contact.name.strip()
    email = next(
        (e.strip() for e in contact.emails if isinstance(e, str) and _EMAIL.match(e.strip())), None
    )
    if email:
        customer["email"] = email
    phones = [(raw, region or default_region) for raw, region in contact.phones if raw]
    phone = next((p for p in (normalise_phone(r, g) for r, g in phones) if p), None)
    if phone:
        customer["phone"] = phone
    elif phones:
        notes.append(f"customer {contact.id}: no phone number usable as E.164")
    if not email and not phone:
        notes.append(f"customer {contact.id}: no usable contact (no valid email or phone)")
    if contact.locale:
        customer["locale"] = contact.locale
    return customer


def money(value: Any) -> str | None:
    """A platform's amount as the contract's decimal string ("12.50"), or None."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return f"{amount:.2f}" if amount >= 0 else None


def cents(value: Any) -> str | None:
    """An amount in cents (VTEX) as a decimal string."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return f"{value // 100}.{value % 100:02d}"


def compact(section: Event) -> Event:
    """The section without empty values (the contract's fields are optional, not null)."""
    return {key: value for key, value in section.items() if value not in (None, "", [], {})}


def get_json_object(url: str, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    """GET a platform API resource (a JSON object), with a timeout; FetchFailed otherwise,
    transient on 429, 5xx and network errors. Credentials travel in headers and never appear
    in the error."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            decoded = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        transient = exc.code == 429 or exc.code >= 500
        raise FetchFailed(f"GET {url} answered {exc.code}", transient=transient) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchFailed(f"GET {url} failed: {type(exc).__name__}", transient=True) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise FetchFailed(f"GET {url} did not answer JSON", transient=True) from None
    if not isinstance(decoded, dict):
        raise FetchFailed(f"GET {url} did not answer a JSON object", transient=False)
    return decoded


_FRACTION = re.compile(r"(\.\d{6})\d+")


def iso_time(value: Any, *, naive_is_utc: bool = False) -> str | None:
    """A platform's timestamp as ISO 8601 with an offset, or None when it is not one.

    Fractions past microseconds (VTEX sends seven digits) are cut; a time without an offset is
    UTC only when the platform says so (`*_gmt` fields), otherwise unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00").replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            return None
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def first_time(*candidates: str | None) -> str | None:
    """The first usable timestamp among candidates already passed through `iso_time`."""
    return next((c for c in candidates if c), None)
