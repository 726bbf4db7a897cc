"""The contract's events (CONTRACT §1) as pydantic models, and their validation.

Validation always runs on the JSON text, in strict mode, so the Python, CLI and HTTP callers get
the same answers: a wrong type is an error, never a silent coercion.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    ValidationError,
    ValidationInfo,
)

from notifier.errors import FieldProblem, InvalidEvent

MAX_EVENT_BYTES = 1024 * 1024

EventType = Literal[
    "order.placed",
    "order.payment_pending",
    "order.paid",
    "order.shipped",
    "order.canceled",
    "order.refunded",
    "shipment.in_transit",
    "shipment.eta_updated",
    "shipment.exception",
    "shipment.out_for_delivery",
    "shipment.delivered",
    "return.requested",
    "review.submitted",
    "item.out_of_stock",
    "cart.updated",
    "cart.cleared",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


# Validation context of an event read back from our own store: it passed every check when it
# was accepted, so the costly look-ups (phone numbering plans, time zones, locales) are skipped.
ACCEPTED_BEFORE = "accepted_before"


def _accepted_before(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(ACCEPTED_BEFORE))


def _e164(value: str, info: ValidationInfo) -> str:
    if _accepted_before(info):
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not an E.164 phone number ({exc}); expected like +525512345678") from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if e164 != value or not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid E.164 phone number; expected like +525512345678")
    return value


def _timezone(value: str, info: ValidationInfo) -> str:
    if _accepted_before(info):
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


def _locale(value: str, info: ValidationInfo) -> str:
    if _accepted_before(info):
        return value
    try:
        Locale.parse(value, sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown BCP 47 locale {value!r}") from exc
    return value


def _decimal_string(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError('money is a decimal string, like "1299.00"')
    return value


Id = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, AfterValidator(_e164)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
LocaleTag = Annotated[str, AfterValidator(_locale)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Money = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    Field(strict=False, ge=0, max_digits=18, decimal_places=4),
]
Url = Annotated[HttpUrl, Field()]
ChannelName = Literal["whatsapp", "sms", "email"]


class Section(BaseModel):
    """Strict, and tolerant of fields we do not know (shops add their own)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Consent(Section):
    sms: bool | None = None
    whatsapp: bool | None = None
    email: bool | None = None
    marketing: bool | None = None


class CustomerIn(Section):
    id: Id
    name: str | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    locale: LocaleTag | None = None
    timezone: TimeZoneName | None = None
    channels: list[ChannelName] | None = None
    consent: Consent | None = None
    orders_count: Annotated[int, Field(ge=0)] | None = None


class Alternative(Section):
    sku: str | None = None
    name: str | None = None
    url: Url | None = None


class Item(Section):
    sku: str | None = None
    name: str | None = None
    quantity: Annotated[int, Field(ge=0)] = 1
    unit_price: Money | None = None
    alternatives: list[Alternative] = []


class OrderIn(Section):
    id: Id
    number: str | None = None
    placed_at: AwareDatetime | None = None
    currency: Currency | None = None
    total: Money | None = None
    items: list[Item] | None = None
    promised_delivery_at: AwareDatetime | None = None
    ship_by: AwareDatetime | None = None
    status_url: Url | None = None
    cart_id: str | None = None
    discount_codes: list[Annotated[str, Field(min_length=1, max_length=64)]] = []
    cancel_reason: str | None = None
    refund_amount: Money | None = None


class ShipmentIn(Section):
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: Url | None = None
    eta: AwareDatetime | None = None
    location: str | None = None
    reason: str | None = None


class CartIn(Section):
    id: Id
    items: list[Item] | None = None
    total: Money | None = None
    currency: Currency | None = None
    recovery_url: Url | None = None


class PaymentIn(Section):
    status: Literal["approved", "pending"] | None = None
    method: Literal["card", "oxxo", "boleto", "pix", "spei", "pse", "efecty", "other"] | None = None
    voucher_url: Url | None = None
    code: str | None = None
    expires_at: AwareDatetime | None = None


class EventIn(Section):
    """One event as the contract defines it."""

    event_id: Id
    type: EventType
    occurred_at: AwareDatetime
    customer: CustomerIn | None = None
    order: OrderIn | None = None
    shipment: ShipmentIn | None = None
    cart: CartIn | None = None
    payment: PaymentIn | None = None

    @property
    def order_id(self) -> str | None:
        return self.order.id if self.order else None


def required_sections(event_type: str) -> list[str]:
    """The sections an event of this type must carry."""
    family = event_type.split(".", 1)[0]
    required = []
    if event_type in ("order.placed", "cart.updated"):
        required.append("customer")
    if family in ("order", "shipment", "return", "item", "review"):
        required.append("order")
    if family == "shipment" or event_type == "order.shipped":
        required.append("shipment")
    if family == "cart":
        required.append("cart")
    return required


def _missing_sections(event: EventIn) -> list[FieldProblem]:
    return [
        FieldProblem(name, f"required for {event.type} events")
        for name in required_sections(event.type)
        if getattr(event, name) is None
    ]


def _problem(error: Any) -> FieldProblem:
    field = ".".join(str(part) for part in error["loc"]) or "(body)"
    if error["type"] == "literal_error" and error["loc"] == ("type",):
        return FieldProblem("type", f"unknown event type {error['input']!r}")
    if error["type"] == "json_invalid":
        return FieldProblem("(body)", f"invalid JSON: {error['ctx']['error']}")
    return FieldProblem(field, error["msg"].removeprefix("Value error, "))


def parse_event(raw: bytes | str) -> EventIn:
    """Validate one event's JSON text; raise InvalidEvent naming every bad field."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_EVENT_BYTES:
        problem = FieldProblem("(body)", f"event is {size} bytes, over the 1 MiB limit")
        raise InvalidEvent([problem], status=413)
    try:
        event = EventIn.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent([_problem(e) for e in exc.errors()]) from None
    missing = _missing_sections(event)
    if missing:
        raise InvalidEvent(missing)
    return event


def parse_stored_event(payload: dict[str, Any]) -> EventIn:
    """An event as stored when it was accepted (valid then): read through the same strict JSON
    path, without repeating the look-ups that proved its phone, time zone and locale."""
    context = {ACCEPTED_BEFORE: True}
    return EventIn.model_validate_json(json.dumps(payload, default=str), context=context)


def parse_event_object(obj: Any) -> EventIn:
    """Validate a decoded JSON value (a Python dict) through the same strict JSON path."""
    if not isinstance(obj, dict):
        raise InvalidEvent([FieldProblem("(body)", "an event must be a JSON object")])
    return parse_event(json.dumps(obj, default=str))
