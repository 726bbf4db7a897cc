"""Routing: consent, preferences, addresses, and the console standing in (pure)."""

from __future__ import annotations

from notifier.decide.routing import Contact, Route, Skip, choose_route
from notifier.vocabulary import Channel, Kind

DEFAULT_ORDER = ["whatsapp", "sms", "email"]
ALL = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.EMAIL})


def contact(**overrides: object) -> Contact:
    values: dict[str, object] = {
        "phone": "+525512345678",
        "email": "ana@example.com",
        "channels": None,
        "consent": {},
    }
    values.update(overrides)
    return Contact(**values)  # type: ignore[arg-type]


def test_first_preferred_channel_wins() -> None:
    route = choose_route(Kind.ORDER_SHIPPED, contact(channels=["email", "sms"]), DEFAULT_ORDER, ALL)
    assert route == Route(Channel.EMAIL, Channel.EMAIL, "ana@example.com")


def test_refused_channel_is_passed_over() -> None:
    route = choose_route(
        Kind.ORDER_SHIPPED, contact(consent={"whatsapp": False}), DEFAULT_ORDER, ALL
    )
    assert route == Route(Channel.SMS, Channel.SMS, "+525512345678")


def test_channel_without_address_is_passed_over() -> None:
    route = choose_route(Kind.ORDER_SHIPPED, contact(phone=None), DEFAULT_ORDER, ALL)
    assert isinstance(route, Route)
    assert route.channel is Channel.EMAIL


def test_marketing_needs_explicit_consent() -> None:
    route = choose_route(Kind.REVIEW_REQUEST, contact(), DEFAULT_ORDER, ALL)
    assert route == Skip("no marketing consent")
    allowed = choose_route(
        Kind.REVIEW_REQUEST, contact(consent={"marketing": True}), DEFAULT_ORDER, ALL
    )
    assert isinstance(allowed, Route)


def test_console_stands_in_when_no_provider_is_configured() -> None:
    route = choose_route(Kind.ORDER_CONFIRMED, contact(), DEFAULT_ORDER, frozenset())
    assert route == Route(Channel.CONSOLE, Channel.WHATSAPP, "+525512345678")


def test_no_usable_channel_is_skipped_with_the_reason() -> None:
    route = choose_route(Kind.ORDER_CONFIRMED, contact(phone=None, email=None), DEFAULT_ORDER, ALL)
    assert isinstance(route, Skip)
    assert "no usable channel" in route.reason


def test_only_configured_channels_are_used() -> None:
    route = choose_route(Kind.ORDER_CONFIRMED, contact(), DEFAULT_ORDER, frozenset({Channel.EMAIL}))
    assert route == Route(Channel.EMAIL, Channel.EMAIL, "ana@example.com")


def test_unknown_customer_is_skipped() -> None:
    assert choose_route(Kind.ORDER_CONFIRMED, None, DEFAULT_ORDER, ALL) == Skip(
        "no customer known for this order"
    )
