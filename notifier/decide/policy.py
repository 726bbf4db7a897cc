"""The policy file (TOML) that ops edit, and its defaults."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from notifier.decide.prices import Category, Prices, default_category
from notifier.errors import NotifierError
from notifier.vocabulary import Kind

ChannelName = Literal["whatsapp", "sms", "email"]
# How an SMS body is brought into GSM-7 before it is sent (`messages/transliteration.py`):
# "accents" does what "lookalikes" does and more.
SmsTransliteration = Literal["off", "lookalikes", "accents"]


class PolicyError(NotifierError):
    """The policy file cannot be read or has a bad value (named)."""


class Section(BaseModel):
    """Every section refuses unknown keys, so a typo fails at start instead of being ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WhatsAppTemplate(Section):
    """An approved WhatsApp template for one kind: its ContentSid per locale, and what fills
    its numbered variables ({{1}}, {{2}}, …), each a Jinja expression over the message's facts."""

    content_sid: dict[str, Annotated[str, Field(pattern=r"^HX[0-9a-fA-F]{32}$")]]
    variables: list[str] = []


def _duration(value: object) -> object:
    """'90m', '48h', '7d', '30s' (or a number of seconds) → timedelta."""
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        return value
    match = DURATION.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a duration like 90m, 48h or 7d")
    return timedelta(seconds=float(match.group(1)) * UNIT_SECONDS[match.group(2)])


DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
Duration = Annotated[timedelta, BeforeValidator(_duration)]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Schedule(Section):
    """When the follow-ups go out, counted from the event that starts them."""

    in_transit_every: Duration = timedelta(hours=48)
    in_transit_max: Annotated[int, Field(ge=0, le=20)] = 5
    review_after: Duration = timedelta(days=7)
    cart_reminder_1: Duration = timedelta(hours=1)
    cart_reminder_2: Duration = timedelta(hours=24)


class LateOrders(Section):
    """When silence from the carrier becomes a delay worth telling."""

    stalled_after: Duration = timedelta(hours=48)
    promise_near: Duration = timedelta(hours=24)


class QuietHours(Section):
    """Marketing kinds wait for the end of the night, in the customer's time zone."""

    start: ClockTime = "21:00"
    end: ClockTime = "08:00"


class FrequencyCap(Section):
    """At most `max_marketing` marketing messages per customer within `per`."""

    max_marketing: Annotated[int, Field(ge=1)] = 1
    per: Duration = timedelta(hours=24)
    action: Literal["defer", "skip"] = "defer"


PREFIX = re.compile(r"[A-Z0-9-]{0,12}")
LANGUAGE_KEY = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
CURRENCY = re.compile(r"[A-Z]{3}")


def _prefix(value: object) -> str:
    if not isinstance(value, str) or PREFIX.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a coupon prefix: up to 12 of A-Z, 0-9 and '-'")
    return value


def _prefixes(value: object) -> object:
    """One prefix for every customer, or a table per language (or locale) of the customer."""
    if isinstance(value, dict):
        for key, prefix in value.items():
            if LANGUAGE_KEY.fullmatch(key) is None:
                raise ValueError(f"{key!r} is not a language like es, pt or pt-BR")
            _prefix(prefix)
        return value
    if isinstance(value, str):
        return _prefix(value)
    raise ValueError(
        'a prefix ("SORRY-") or a table per language ({es = "PERDON-", pt = "DESCULPA-"})'
    )


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        amount = None
    if isinstance(value, bool) or amount is None or not amount.is_finite() or amount <= 0:
        raise ValueError(f'{value!r} is not an amount of money above 0, like "500.00"')
    return amount


def _min_purchase(value: object) -> object:
    """An amount in the order's currency, or a table per currency ({MXN = "500", BRL = "120"})."""
    if not isinstance(value, dict):
        return _amount(value)
    for currency in value:
        if CURRENCY.fullmatch(currency) is None:
            raise ValueError(f"{currency!r} is not an ISO 4217 currency code like MXN")
    return {currency: _amount(amount) for currency, amount in value.items()}


CouponPrefix = Annotated[str | dict[str, str], BeforeValidator(_prefixes)]
MinPurchase = Annotated[Decimal | dict[str, Decimal], BeforeValidator(_min_purchase)]


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0 (like 30d)")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
# Coupons speak the customer's language; a language not listed gets the bare code.
DEFAULT_PREFIXES = {"es": "PERDON-", "pt": "DESCULPA-", "en": "SORRY-"}


class Tier(Section):
    """An offer for orders at least `min_days_late` late. A delay leaves the customer both
    choices unless the tier says otherwise: wait with the offer, or cancel with an immediate
    full refund (`cancel_option`)."""

    min_days_late: Annotated[int, Field(ge=0)]
    percent_off: Annotated[int, Field(ge=0, le=100)] | None = None
    free_shipping: bool = False
    cancel_option: bool = True


DEFAULT_TIERS = [
    Tier(min_days_late=1, percent_off=10),
    Tier(min_days_late=2, percent_off=10, free_shipping=True),
    Tier(min_days_late=4, percent_off=20),
]


class Compensation(Section):
    """What a late order is offered: tiers by days late; VIP customers get the next tier up."""

    tiers: list[Tier] = DEFAULT_TIERS
    vip_orders: Annotated[int, Field(ge=1)] = 6
    # e.g. "https://shop.example.com/orders/{order_number}/cancel?coupon={coupon_code}"
    cancel_url: str | None = None
    coupon_prefix: CouponPrefix = DEFAULT_PREFIXES
    coupon_valid_for: PositiveDuration = timedelta(days=30)  # counted from the coupon's issue
    coupon_min_purchase: MinPurchase | None = None

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[Tier]) -> list[Tier]:
        days = [tier.min_days_late for tier in tiers]
        if days != sorted(set(days)):
            raise ValueError("tiers must be listed by min_days_late, ascending, no repeats")
        return tiers


class OutOfStock(Section):
    """An item that ran out: what happens when the customer does not answer the message
    (`refund` the missing items, ship the first `alternative` offered, `cancel_order` with a
    full refund), and how long they have to answer."""

    if_no_answer: Literal["refund", "alternative", "cancel_order"] = "refund"
    answer_within: PositiveDuration = timedelta(hours=48)


class Incentive(Section):
    """A coupon offered on the last cart reminder or the win-back, valid for `valid_for` from
    the message that gives it, on a purchase of at least `min_purchase` when set."""

    percent_off: Annotated[int, Field(ge=1, le=100)]
    coupon_code: Annotated[str, Field(min_length=1, max_length=64)]
    valid_for: PositiveDuration = timedelta(days=30)
    min_purchase: MinPurchase | None = None


class PaymentReminders(Section):
    """How long before a voucher expires its reminder goes out, per payment method."""

    card: Duration = timedelta(hours=24)
    oxxo: Duration = timedelta(hours=24)
    boleto: Duration = timedelta(hours=24)
    pix: Duration = timedelta(minutes=15)
    spei: Duration = timedelta(hours=24)
    pse: Duration = timedelta(hours=2)
    efecty: Duration = timedelta(hours=24)
    other: Duration = timedelta(hours=24)

    def before(self, method: str | None) -> timedelta:
        """The lead for a method (unknown or missing: `other`)."""
        lead: timedelta = getattr(self, method or "other", self.other)
        return lead


class SpeiAccount(Section):
    """Where a SPEI transfer goes: the shop's bank and beneficiary, and its CLABE for orders
    whose voucher carries only a reference (a voucher's own 18-digit CLABE wins)."""

    clabe: Annotated[str, Field(pattern=r"^[0-9]{18}$")] | None = None
    bank: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    beneficiary: Annotated[str, Field(min_length=1, max_length=60)] | None = None


class Winback(Section):
    """Customers who stopped buying: when to miss them, how often, with what offer."""

    after: Duration = timedelta(days=60)  # since the last order
    again: Duration = timedelta(days=90)  # never a second win-back sooner than this
    # A lapsed customer the scan could not write to (no marketing consent, an order in
    # progress, a conversation open) is looked at again after this long.
    recheck: Duration = timedelta(days=7)
    incentive: Incentive | None = None
    url: str | None = None  # the shop's page the message links to


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Support(Section):
    """When people answer conversations handed to them, and how fast (told in `handoff_ack`)."""

    timezone: str = "America/Mexico_City"
    days: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
    opens: ClockTime = "09:00"
    closes: ClockTime = "18:00"
    response_time: Duration = timedelta(hours=1)
    # Forwarding to the support webhook/inbox: retried with backoff, then failed.
    forward_attempts: Annotated[int, Field(ge=1, le=100)] = 12
    forward_backoff: Duration = timedelta(seconds=30)
    # After a person closes a conversation, `handoff_followup` asks whether it was solved.
    followup_after: Duration = timedelta(hours=24)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {name!r}") from exc
        return name

    @field_validator("closes")
    @classmethod
    def _after_opening(cls, closes: str, info: ValidationInfo) -> str:
        if closes <= info.data.get("opens", ""):
            raise ValueError("closes must be later than opens")
        return closes


class ShopWebhooks(Section):
    """Webhooks to the shop that did not go (no answer, not 2xx): tried again after `backoff`,
    doubling each time up to `max_backoff`, until the shop takes them; never given up."""

    backoff: Duration = timedelta(seconds=30)
    max_backoff: Duration = timedelta(hours=1)


class Report(Section):
    """What the report credits to a message: an order placed within `attribution_window` of a
    cart reminder (that cart, or that customer) or of a win-back (that customer)."""

    attribution_window: PositiveDuration = timedelta(days=7)


class RetryPolicy(Section):
    """Transient failures: exponential backoff with jitter, honouring Retry-After, bounded."""

    max_attempts: Annotated[int, Field(ge=1, le=50)] = 6
    base_seconds: Annotated[float, Field(gt=0)] = 2.0
    max_seconds: Annotated[float, Field(gt=0)] = 300.0


class Policy(Section):
    """Delays, channel order and budgets; every field has the default that practice suggests."""

    channel_order: list[ChannelName] = ["whatsapp", "sms", "email"]
    channels_by_kind: dict[Kind, list[ChannelName]] = {}
    sms_max_segments: Annotated[int, Field(ge=1, le=10)] = 3  # counted on the SMS as sent
    # At send time: "lookalikes" turns curly quotes, dashes, ellipses and no-break spaces into
    # their GSM-7 forms; "accents" also drops the accents GSM-7 lacks (á → a, é and ñ stay);
    # "off" sends the SMS as the template wrote it.
    sms_transliterate: SmsTransliteration = "lookalikes"
    # With NOTIFIER_PUBLIC_URL set: the links of an SMS or a WhatsApp message go out as
    # {public_url}/r/{code} (fewer segments, and each click counted against its message).
    short_links: bool = False
    # Kinds that also go by email (a written record) when the chat message went elsewhere.
    email_copy: list[Kind] = []
    whatsapp_templates: dict[Kind, WhatsAppTemplate] = {}
    # Each kind's WhatsApp template category, for its price (default: marketing for the kinds
    # that need marketing consent, utility for the others).
    whatsapp_categories: dict[Kind, Category] = {}
    prices: Prices = Prices()
    report: Report = Report()
    retry: RetryPolicy = RetryPolicy()
    schedule: Schedule = Schedule()
    late_orders: LateOrders = LateOrders()
    quiet_hours: QuietHours = QuietHours()
    frequency_cap: FrequencyCap = FrequencyCap()
    compensation: Compensation = Compensation()
    cart_incentive: Incentive | None = None
    out_of_stock: OutOfStock = OutOfStock()
    payment_reminder_before: PaymentReminders = PaymentReminders()
    spei: SpeiAccount = SpeiAccount()
    winback: Winback = Winback()
    support: Support = Support()
    shop_webhooks: ShopWebhooks = ShopWebhooks()
    # e.g. "https://shop.example.com/orders/{order_number}/review"; else the order's status_url
    review_url: str | None = None
    # The shop's home page: where "order again" links go when the order has no page of its own.
    shop_url: str | None = None
    # Messages per second per sender, shared by every worker process (through Redis).
    rate_limits: dict[str, Annotated[float, Field(gt=0)]] = {
        "sms": 10.0,
        "whatsapp": 20.0,
        "email": 10.0,
    }

    @field_validator("rate_limits")
    @classmethod
    def _known_channels(cls, limits: dict[str, float]) -> dict[str, float]:
        unknown = set(limits) - {"sms", "whatsapp", "email"}
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)}: use sms, whatsapp, email")
        return limits

    def channels_for(self, kind: str) -> list[ChannelName]:
        """The default channel order for a kind when the customer states none."""
        return self.channels_by_kind.get(Kind(kind), self.channel_order)

    def category_of(self, kind: Kind) -> Category:
        """The kind's WhatsApp template category (what Meta bills it as)."""
        return self.whatsapp_categories.get(kind, default_category(kind))


def load_policy(path: Path | None) -> Policy:
    """Read the policy file; no file means the defaults."""
    if path is None:
        return Policy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Policy.model_validate(data)
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(f"policy file {path}: {problems}") from exc
