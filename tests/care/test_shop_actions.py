"""A customer's "cancel with a full refund", carried out at Shopify when it is configured."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from notifier.care import shop_actions
from notifier.care.shop_actions import CancelRefusedByShop, ShopAccessDenied, cancel_at_shop
from notifier.config import Settings
from notifier.errors import PermanentError, TransientError
from tests.conftest import settings_for
from tests.fakes.shopify_admin import FakeShopifyAdmin

ORDER = "shopify:820982911946154508"
GID = "gid://shopify/Order/820982911946154508"


@pytest.fixture
def shop() -> Iterator[FakeShopifyAdmin]:
    with FakeShopifyAdmin() as fake:
        yield fake


def shopify_settings(shop: FakeShopifyAdmin, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "shopify_shop_domain": "casa-lupita.myshopify.com",
        "shopify_admin_token": SecretStr(shop.token),
        "shopify_base_url": shop.base_url,
        **changes,
    }
    return settings_for("sqlite:///unused.db", **values)


@pytest.mark.parametrize(
    "unset",
    [
        {"shopify_shop_domain": None},
        {"shopify_admin_token": None},
        {"shopify_shop_domain": None, "shopify_admin_token": None},
    ],
)
def test_nothing_is_called_while_shopify_is_not_configured(
    shop: FakeShopifyAdmin, unset: dict[str, Any]
) -> None:
    assert cancel_at_shop(shopify_settings(shop, **unset), ORDER) is None
    assert shop.requests == 0


def test_an_order_of_another_platform_is_left_alone(shop: FakeShopifyAdmin) -> None:
    assert cancel_at_shop(shopify_settings(shop), "woocommerce:1001") is None
    assert shop.requests == 0


def test_a_customers_cancel_is_one_call_with_a_full_refund(shop: FakeShopifyAdmin) -> None:
    result = cancel_at_shop(shopify_settings(shop), ORDER)

    assert result is not None and result.order_gid == GID
    [call] = shop.calls
    assert (call.order_id, call.refund, call.reason, call.restock) == (GID, True, "CUSTOMER", True)
    assert call.staff_note is not None and ORDER in call.staff_note


def test_a_refusal_is_a_permanent_error_in_shopifys_words(shop: FakeShopifyAdmin) -> None:
    shop.refuse(GID, "Order has already been fulfilled.")

    with pytest.raises(CancelRefusedByShop) as caught:
        cancel_at_shop(shopify_settings(shop), ORDER)

    assert isinstance(caught.value, PermanentError)
    assert str(caught.value) == "Order has already been fulfilled."
    assert caught.value.code == "INVALID"


def test_throttling_is_a_transient_error_with_the_wait(shop: FakeShopifyAdmin) -> None:
    shop.throttle_next(restore_rate=5.0)

    with pytest.raises(TransientError) as caught:
        cancel_at_shop(shopify_settings(shop), ORDER)

    assert caught.value.retry_after == pytest.approx(2.0)


def test_a_shopify_outage_is_a_transient_error(shop: FakeShopifyAdmin) -> None:
    shop.fail_next(503)

    with pytest.raises(TransientError):
        cancel_at_shop(shopify_settings(shop), ORDER)


def test_a_bad_token_names_the_setting_and_never_shows_it(
    shop: FakeShopifyAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "shpat_" + "e" * 32

    with pytest.raises(ShopAccessDenied) as caught:
        cancel_at_shop(shopify_settings(shop, shopify_admin_token=SecretStr(wrong)), ORDER)

    assert "SHOPIFY_ADMIN_TOKEN" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in caplog.text


def test_the_settings_are_the_contracts_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_SHOP_DOMAIN", "casa-lupita.myshopify.com")
    monkeypatch.setenv("SHOPIFY_ADMIN_TOKEN", "shpat_" + "a" * 32)
    monkeypatch.setenv("NOTIFIER_SHOPIFY_BASE_URL", "http://127.0.0.1:9")

    settings = Settings()

    assert settings.shopify_shop_domain == "casa-lupita.myshopify.com"
    assert settings.shopify_base_url == "http://127.0.0.1:9"
    assert shop_actions.shopify_configured(settings)
    assert "shpat_" + "a" * 32 in settings.secret_values()  # the logs hide it
    assert "shpat_" not in repr(settings)


def test_cancel_at_shop_writes_nothing_to_the_database() -> None:
    tree = ast.parse(Path(shop_actions.__file__).read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}  # fmt: skip

    assert not {m for m in imported if m.startswith(("notifier.store", "sqlalchemy"))}
