"""Tiendanube / Nuvemshop webhooks through `/webhooks/tiendanube`, orders from a fake API."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.http.app import create_app
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import settings_for
from tests.fakes.platforms import FakePlatformApi
from tests.platforms import handed_off, hex_hmac, sample, sample_bytes, stored_events

SECRET, TOKEN = "tn-app-secret", "tn-access-token"
ORDER_PATH = "/v1/5665778/orders/1639882221"
ORDER = "tiendanube:1639882221"


@pytest.fixture
def api() -> Iterator[FakePlatformApi]:
    with FakePlatformApi(auth=("Authentication", f"bearer {TOKEN}")) as fake:
        fake.serve(ORDER_PATH, sample("tiendanube", "order_get_response.json") | {"id": 1639882221})
        yield fake


@pytest.fixture
def shop(sqlite_url: str, api: FakePlatformApi) -> Runtime:
    settings = settings_for(
        sqlite_url,
        tiendanube_app_secret=SecretStr(SECRET),
        tiendanube_access_token=SecretStr(TOKEN),
        tiendanube_base_url=api.base_url,
    )
    return build_runtime(settings, console=io.StringIO())


def post(runtime: Runtime, body: bytes, signature: str | None = None) -> Any:
    headers = {"X-Linkedstore-HMAC-SHA256": signature or hex_hmac(SECRET, body)}
    return TestClient(create_app(runtime)).post(
        "/webhooks/tiendanube", content=body, headers=headers
    )


def notify(runtime: Runtime, event: str) -> Any:
    body = sample("tiendanube", "order_created.json") | {"event": event}
    return post(runtime, json.dumps(body).encode())


def serve_order(api: FakePlatformApi, name: str, **changes: Any) -> None:
    api.serve(ORDER_PATH, sample("tiendanube", name) | {"id": 1639882221, **changes})


def kinds(runtime: Runtime) -> set[str]:
    return {r["kind"] for r in message_records(runtime.db_url, order_id=ORDER)}


def test_order_created_sample_fetches_the_order_and_records_the_pending_payment(
    shop: Runtime, api: FakePlatformApi
) -> None:
    response = post(shop, sample_bytes("tiendanube", "order_created.json"))
    assert response.status_code == 200
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.payment_pending"  # the sample order's payment is pending
    assert event["event_id"] == "tiendanube:5665778:order/created:1639882221"
    assert event["customer"]["email"] == "john.doe@example.com"
    assert event["order"]["number"] == "101"
    assert event["order"]["total"] == "58.00"
    assert [r.path for r in api.requests] == [ORDER_PATH]
    assert "user-agent" in api.requests[0].headers


def test_order_created_with_the_payment_done_is_placed_and_confirmed(
    shop: Runtime, api: FakePlatformApi
) -> None:
    serve_order(api, "order_get_response.json", payment_status="paid")
    notify(shop, "order/created")
    assert [e["type"] for e in stored_events(shop.db_url)] == ["order.placed"]
    assert kinds(shop) == {"order_confirmed"}


def test_order_paid_confirms_the_order(shop: Runtime, api: FakePlatformApi) -> None:
    post(shop, sample_bytes("tiendanube", "order_created.json"))
    serve_order(api, "order_get_response.json", payment_status="paid")
    notify(shop, "order/paid")
    assert [e["type"] for e in stored_events(shop.db_url)] == [
        "order.payment_pending",
        "order.paid",
    ]
    assert "order_confirmed" in kinds(shop)


def test_order_fulfilled_is_shipped_with_the_tracking(shop: Runtime, api: FakePlatformApi) -> None:
    post(shop, sample_bytes("tiendanube", "order_created.json"))
    serve_order(api, "order_after_fulfill_response.json")
    notify(shop, "order/fulfilled")
    shipped = stored_events(shop.db_url)[-1]
    assert shipped["type"] == "order.shipped"
    assert shipped["shipment"]["tracking_number"] == "ABC1234"
    assert shipped["shipment"]["tracking_url"] == "https://shipping.com/tracking/ABC1234"
    assert "order_shipped" in kinds(shop)


def test_order_cancelled_is_an_order_canceled(shop: Runtime, api: FakePlatformApi) -> None:
    post(shop, sample_bytes("tiendanube", "order_created.json"))
    serve_order(api, "order_after_cancel_response.json")
    notify(shop, "order/cancelled")
    assert stored_events(shop.db_url)[-1]["type"] == "order.canceled"
    assert "order_canceled" in kinds(shop)


def test_an_update_to_a_refunded_payment_is_an_order_refunded(
    shop: Runtime, api: FakePlatformApi
) -> None:
    serve_order(api, "order_get_response.json", payment_status="refunded")
    notify(shop, "order/updated")
    assert stored_events(shop.db_url)[-1]["type"] == "order.refunded"


def test_other_updates_are_fetched_and_ignored(shop: Runtime, api: FakePlatformApi) -> None:
    notify(shop, "order/updated")
    assert stored_events(shop.db_url) == []
    assert handed_off(shop.db_url)[0][1] == "ignored"


def test_an_event_we_do_not_map_is_200_and_stores_nothing(
    shop: Runtime, api: FakePlatformApi
) -> None:
    response = notify(shop, "product/created")
    assert response.status_code == 200
    assert "product/created" in response.json()["ignored"]
    assert handed_off(shop.db_url) == [] and api.requests == []


def test_a_bad_hmac_is_401_and_stores_nothing(shop: Runtime, api: FakePlatformApi) -> None:
    body = sample_bytes("tiendanube", "order_created.json")
    response = post(shop, body, signature=hex_hmac("not-the-secret", body))
    assert response.status_code == 401
    assert handed_off(shop.db_url) == [] and api.requests == []


def test_the_same_notification_twice_is_fetched_once(shop: Runtime, api: FakePlatformApi) -> None:
    body = sample_bytes("tiendanube", "order_created.json")
    post(shop, body)
    assert post(shop, body).json()["duplicate"] is True
    assert len(api.requests) == 1
