"""What a message costs, estimated from the policy's price table (USD): an SMS per segment by
destination country, a WhatsApp template by its category (utility or marketing) and country
plus Twilio's fee per message, a WhatsApp session message Twilio's fee only (Meta does not
bill service messages), an email one flat price. A destination the table does not price has
no estimate (the report counts those apart) rather than a guess.

The defaults are public list prices, dated and with their source; a shop with negotiated
prices writes its own `[prices]` in the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field

from notifier.vocabulary import Channel, Kind

Category = Literal["utility", "marketing"]
Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=6)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

# Twilio's SMS pricing pages, twilio.com/en-us/sms/pricing/<country>: outbound, long code.
LIST_SMS = {"MX": "0.0979", "BR": "0.0525", "CO": "0.0512", "AR": "0.0831", "CL": "0.0895",
            "US": "0.0083"}  # fmt: skip
# Meta's WhatsApp rate card (per template message, from 2025-07-01), developers.facebook.com
# /docs/whatsapp/pricing; Twilio adds its own fee per message (twilio.com/whatsapp/pricing).
LIST_MARKETING = {"MX": "0.0305", "BR": "0.0625", "CO": "0.0125", "AR": "0.0618",
                  "CL": "0.0889", "US": "0.0250"}  # fmt: skip
LIST_UTILITY = {"MX": "0.0085", "BR": "0.0068", "CO": "0.0008", "AR": "0.0260", "CL": "0.0200",
                "US": "0.0040"}  # fmt: skip


def _table(prices: dict[str, str]) -> dict[str, Decimal]:
    return {country: Decimal(price) for country, price in prices.items()}


class WhatsAppPrices(BaseModel):
    """A WhatsApp template message's price by category and country, and Twilio's fee."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    utility: dict[Country, Price] = _table(LIST_UTILITY)
    marketing: dict[Country, Price] = _table(LIST_MARKETING)
    fee: Price = Decimal("0.005")  # Twilio's, on every WhatsApp message, template or not


class Prices(BaseModel):
    """The policy's `[prices]`: USD list prices, with the day they were read and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: str = "2026-07-01"
    source: str = "Twilio's SMS and WhatsApp pricing pages; Meta's WhatsApp rate card"
    sms: dict[Country, Price] = _table(LIST_SMS)  # per segment
    whatsapp: WhatsAppPrices = WhatsAppPrices()
    email: Price = Decimal("0.0004")  # an SMTP relay's list price (SendGrid: $19.95 / 50,000)


def default_category(kind: Kind) -> Category:
    """A kind's WhatsApp template category when the policy names none: marketing for the
    kinds that sell, utility for the ones about an order the customer made."""
    return "marketing" if kind.is_marketing else "utility"


@dataclass(frozen=True)
class Sent:
    """What was sent, as far as its price goes."""

    channel: Channel
    recipient: str | None
    segments: int | None  # an SMS's
    template: bool  # a WhatsApp template (billed by Meta) rather than a session message
    category: Category


@dataclass(frozen=True)
class Estimate:
    """A sent message's estimated cost (None: its destination is not priced)."""

    country: str | None
    cost_usd: Decimal | None


def estimate(prices: Prices, sent: Sent) -> Estimate:
    """What the message cost, by the table."""
    if sent.channel is Channel.EMAIL:
        return Estimate(None, prices.email)
    country = country_of(sent.recipient)
    if sent.channel is Channel.SMS:
        per_segment = prices.sms.get(country or "")
        cost = per_segment * (sent.segments or 1) if per_segment is not None else None
        return Estimate(country, cost)
    if sent.channel is Channel.WHATSAPP:
        return Estimate(country, _whatsapp(prices.whatsapp, sent, country))
    return Estimate(country, None)


def _whatsapp(prices: WhatsAppPrices, sent: Sent, country: str | None) -> Decimal | None:
    if not sent.template:
        return prices.fee
    table = prices.marketing if sent.category == "marketing" else prices.utility
    price = table.get(country or "")
    return price + prices.fee if price is not None else None


def country_of(recipient: str | None) -> str | None:
    """The country of a phone number (`+52…` or `whatsapp:+52…`), ISO 3166; None when it is
    not a phone number."""
    if not recipient:
        return None
    number = recipient.removeprefix("whatsapp:")
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if isinstance(region, str) and len(region) == 2 else None
