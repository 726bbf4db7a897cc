"""Shopify's orderCancel client against a local fake of the Admin GraphQL API, over real HTTP."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from adapters.platforms.shopify_admin import (
    TOKEN_HEADER,
    AdminAccessDenied,
    CancelFailed,
    CancelNotNow,
    CancelOutcomeUnknown,
    CancelRefused,
    NotAShopifyOrder,
    ShopifyAdmin,
    default_base_url,
    order_gid,
)
from tests.fakes.shopify_admin import ALREADY_CANCELED_MESSAGE, CancelCall, FakeShopifyAdmin

ORDER = "shopify:450789469"
GID = "gid://shopify/Order/450789469"


@pytest.fixture
def shop() -> Iterator[FakeShopifyAdmin]:
    with FakeShopifyAdmin() as fake:
        yield fake


@pytest.fixture
def admin(shop: FakeShopifyAdmin) -> ShopifyAdmin:
    return ShopifyAdmin(shop.base_url, shop.token, timeout=5)


def refusal(admin: ShopifyAdmin, order_id: str = ORDER) -> CancelFailed:
    with pytest.raises(CancelFailed) as caught:
        admin.cancel_with_refund(order_id, "test")
    return caught.value


def test_a_cancel_is_one_call_with_a_full_refund(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin
) -> None:
    result = admin.cancel_with_refund(ORDER, "asked by SMS")

    assert shop.calls == [
        CancelCall(
            order_id=GID,
            refund=True,
            reason="CUSTOMER",
            restock=True,
            notify_customer=False,
            staff_note="asked by SMS",
        )
    ]
    assert shop.requests == 1
    assert result.order_gid == GID
    assert result.job_id.startswith("gid://shopify/Job/")
    assert not result.job_done


@pytest.mark.parametrize(
    ("ours", "gid"),
    [
        ("shopify:450789469", GID),
        (GID, GID),
        (" shopify:1 ", "gid://shopify/Order/1"),
        ("woocommerce:450789469", None),
        ("450789469", None),  # bare digits may be an order number: never guessed
        ("shopify:#1001", None),
        ("gid://shopify/Customer/1", None),
    ],
)
def test_our_order_id_becomes_shopifys_graphql_gid(ours: str, gid: str | None) -> None:
    assert order_gid(ours) == gid


def test_an_order_that_is_not_shopifys_is_refused_without_a_call(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin
) -> None:
    error = refusal(admin, "woocommerce:77")

    assert isinstance(error, NotAShopifyOrder)
    assert not error.transient
    assert shop.requests == 0


def test_an_already_canceled_order_is_a_permanent_error_in_shopifys_words(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin
) -> None:
    shop.mark_canceled(GID)

    error = refusal(admin)

    assert isinstance(error, CancelRefused)
    assert not error.transient
    assert str(error) == ALREADY_CANCELED_MESSAGE
    assert error.code == "INVALID"
    assert len(shop.calls) == 1


def test_a_second_cancel_of_the_same_order_is_refused(admin: ShopifyAdmin) -> None:
    admin.cancel_with_refund(ORDER)

    assert isinstance(refusal(admin), CancelRefused)


def test_an_order_shopify_cannot_cancel_is_refused_with_its_message(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin
) -> None:
    shop.refuse(GID, "Order has an active return in progress.", code="INVALID")

    error = refusal(admin)

    assert isinstance(error, CancelRefused)
    assert str(error) == "Order has an active return in progress."
    assert GID not in shop.canceled


def test_throttling_is_transient_and_waits_for_the_bucket(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin
) -> None:
    shop.throttle_next(restore_rate=2.5)  # 10 points short at 2.5 a second

    error = refusal(admin)

    assert isinstance(error, CancelNotNow)
    assert error.transient
    assert error.retry_after == pytest.approx(4.0)
    assert shop.calls == []
    assert admin.cancel_with_refund(ORDER).order_gid == GID  # the retry goes through


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_http_429_and_5xx_are_transient(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin, status: int
) -> None:
    shop.fail_next(status)

    error = refusal(admin)

    assert isinstance(error, CancelNotNow)
    assert error.transient
    assert error.retry_after == 1.0  # the fake's Retry-After
    assert shop.canceled == set()


def test_an_unreachable_shopify_is_transient() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    admin = ShopifyAdmin(f"http://127.0.0.1:{port}", "shpat_x", timeout=2)

    error = refusal(admin)

    assert type(error) is CancelNotNow
    assert error.transient


def test_no_answer_in_time_is_an_unknown_outcome_and_the_retry_is_refused(
    shop: FakeShopifyAdmin,
) -> None:
    admin = ShopifyAdmin(shop.base_url, shop.token, timeout=0.3)
    shop.answer_late(1.0)

    error = refusal(admin)

    assert isinstance(error, CancelOutcomeUnknown)
    assert error.transient
    assert GID in shop.canceled  # Shopify did it; a retry is told so
    shop.answer_late(0)
    assert str(refusal(admin)) == ALREADY_CANCELED_MESSAGE


def test_a_bad_token_is_a_clear_error_without_the_token(shop: FakeShopifyAdmin) -> None:
    wrong = "shpat_" + "9" * 32
    admin = ShopifyAdmin(shop.base_url, wrong, timeout=5)

    error = refusal(admin)

    assert isinstance(error, AdminAccessDenied)
    assert not error.transient
    assert "SHOPIFY_ADMIN_TOKEN" in str(error)
    assert error.code == "401"
    for shown in (str(error), repr(error), repr(admin), str(error.args)):
        assert wrong not in shown
    assert shop.calls == []


def test_a_wrong_shop_address_names_the_domain_setting() -> None:
    with FakeShopifyAdmin(api_version="2024-01") as old_shop:  # no 2026-07 endpoint there
        admin = ShopifyAdmin(old_shop.base_url, old_shop.token, timeout=5)
        error = refusal(admin)

    assert isinstance(error, AdminAccessDenied)
    assert "SHOPIFY_SHOP_DOMAIN" in str(error)


@pytest.mark.parametrize(
    ("code", "kind"),
    [("NO_REFUND_PERMISSION", AdminAccessDenied), ("INTERNAL_ERROR", CancelNotNow)],
)
def test_user_errors_that_are_not_about_the_order(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin, code: str, kind: type[CancelFailed]
) -> None:
    shop.refuse(GID, "no can do", code=code)

    assert type(refusal(admin)) is kind


def test_the_token_travels_in_its_header_only(shop: FakeShopifyAdmin, admin: ShopifyAdmin) -> None:
    admin.cancel_with_refund(ORDER)

    assert TOKEN_HEADER == "X-Shopify-Access-Token"
    assert shop.token not in admin.endpoint
    assert shop.token not in repr(admin)


def test_the_token_is_not_in_the_logs(
    shop: FakeShopifyAdmin, admin: ShopifyAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin.cancel_with_refund(ORDER)
    refusal(admin)  # already cancelled
    shop.throttle_next()
    refusal(admin, "shopify:2")
    refusal(ShopifyAdmin(shop.base_url, shop.token + "x", timeout=5))

    assert GID in caplog.text  # the logs do speak of the cancel
    assert shop.token not in caplog.text


@pytest.mark.parametrize(
    ("domain", "base_url"),
    [
        ("casa-lupita.myshopify.com", "https://casa-lupita.myshopify.com"),
        ("casa-lupita", "https://casa-lupita.myshopify.com"),
        ("https://casa-lupita.myshopify.com/", "https://casa-lupita.myshopify.com"),
    ],
)
def test_the_shops_domain_gives_the_api_address(domain: str, base_url: str) -> None:
    assert default_base_url(domain) == base_url
