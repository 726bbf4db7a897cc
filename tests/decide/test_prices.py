"""What a message costs by the price table (decide/prices.py)."""

from decimal import Decimal
from pathlib import Path

from notifier.decide.policy import Policy, load_policy
from notifier.decide.prices import Prices, Sent, country_of, estimate
from notifier.vocabulary import Channel, Kind

PRICES = Prices()
EXAMPLE = Path(__file__).resolve().parents[2] / "notifier.example.toml"


def sent(channel: Channel, recipient: str | None, **fields: object) -> Sent:
    values = {"segments": None, "template": False, "category": "utility"} | fields
    return Sent(channel, recipient, **values)  # type: ignore[arg-type]


def test_an_sms_costs_its_segments_at_the_destination_country_price() -> None:
    found = estimate(PRICES, sent(Channel.SMS, "+5511987654321", segments=3))
    assert (found.country, found.cost_usd) == ("BR", Decimal("0.0525") * 3)


def test_a_whatsapp_template_costs_its_category_and_the_fee_a_session_message_the_fee() -> None:
    marketing = sent(Channel.WHATSAPP, "whatsapp:+5511987654321", template=True,
                     category="marketing")  # fmt: skip
    utility = sent(Channel.WHATSAPP, "whatsapp:+5511987654321", template=True)
    assert estimate(PRICES, marketing).cost_usd == Decimal("0.0625") + Decimal("0.005")
    assert estimate(PRICES, utility).cost_usd == Decimal("0.0068") + Decimal("0.005")
    assert estimate(PRICES, sent(Channel.WHATSAPP, "whatsapp:+525512345678")).cost_usd == Decimal(
        "0.005"
    )


def test_a_country_the_table_lacks_is_not_guessed() -> None:
    found = estimate(PRICES, sent(Channel.SMS, "+33612345678", segments=1))
    assert (found.country, found.cost_usd) == ("FR", None)


def test_an_email_costs_the_flat_price_and_a_bad_number_has_no_country() -> None:
    assert estimate(PRICES, sent(Channel.EMAIL, "a@example.com")).cost_usd == Decimal("0.0004")
    assert country_of("not a number") is None and country_of(None) is None


def test_the_example_policy_shows_the_default_prices_and_categories() -> None:
    example = load_policy(EXAMPLE)
    assert example.prices == Policy().prices
    assert example.category_of(Kind.WINBACK) == "marketing"
    assert example.category_of(Kind.ORDER_SHIPPED) == "utility"
