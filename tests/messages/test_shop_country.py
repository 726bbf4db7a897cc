"""A bare `es` (as Shopify's `customer_locale` and Tiendanube's `language` send it) writes money
and times as the shop's country does (`NOTIFIER_SHOP_COUNTRY`), not as Spain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifier.messages.rendering import renderer_for
from notifier.messages.samples import sample_facts
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.conftest import settings_for

AT_3PM_IN_MEXICO = datetime(2026, 11, 10, 21, 0, tzinfo=UTC)


def confirmation(sqlite_url: str, locale: str, country: str) -> str:
    renderer = renderer_for(settings_for(sqlite_url, shop_country=country))
    view = template_view(
        sample_facts(Kind.ORDER_CONFIRMED)["full"],
        Kind.ORDER_CONFIRMED,
        locale,
        "America/Mexico_City",
    )
    return renderer.render(Kind.ORDER_CONFIRMED, "sms", view).text


@pytest.mark.parametrize("locale", ["es", "es-MX"])
def test_spanish_in_a_mexican_shop_is_written_as_in_mexico(sqlite_url: str, locale: str) -> None:
    assert "$1,299.00" in confirmation(sqlite_url, locale, "MX")


def test_a_spanish_shop_writes_spanish_amounts(sqlite_url: str) -> None:
    assert "1.299,00" in confirmation(sqlite_url, "es", "ES")


def test_a_time_in_a_mexican_shop_is_on_the_12_hour_clock(sqlite_url: str) -> None:
    renderer = renderer_for(settings_for(sqlite_url, shop_country="MX"))
    view = template_view(
        sample_facts(Kind.ORDER_CONFIRMED)["full"],
        Kind.ORDER_CONFIRMED,
        "es",
        "America/Mexico_City",
    )
    shown = renderer.render_expression("{{ at | day_time }}", view | {"at": AT_3PM_IN_MEXICO})
    assert shown.endswith("3:00 p.m."), shown
