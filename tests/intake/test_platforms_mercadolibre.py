"""Mercado Libre notifications through `/webhooks/mercadolibre`, resources from a fake API.

Mercado Libre publishes no full order or shipment example (its docs use placeholders), so the
fake serves objects built from the documented field names: see ORDER and SHIPMENT.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from adapters.platforms.mercadolibre import HIDDEN_CONTACT
from notifier.http.app import create_app
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import settings_for
from tests.fakes.platforms import FakePlatformApi
from tests.platforms import HeldDispatcher, handed_off, sample, sample_bytes, stored_events

TOKEN = "APP_USR-test-token"
ORDER: dict[str, Any] = {
    "id": 2195160686,
    "status": "paid",
    "date_created": "2019-10-30T12:18:00.000-04:00",
    "last_updated": "2019-10-30T12:19:20.000-04:00",
    "currency_id": "MXN",
    "total_amount": 1299.5,
    "order_items": [
        {"item": {"id": "MLM123", "title": "Audífonos", "seller_sku": "AUD-1"},
         "quantity": 1, "unit_price": 1299.5},
    ],
    "buyer": {"id": 468424240, "nickname": "COMPRADOR", "first_name": "Ana", "last_name": "Pérez"},
    "shipping": {"id": 40546549876},
}  # fmt: skip
SHIPMENT: dict[str, Any] = {
    "id": 40546549876,
    "order_id": 2195160686,
    "status": "shipped",
    "substatus": None,
    "tracking_number": "MEL40546549876",
    "tracking_method": "Estafeta",
    "date_created": "2019-10-30T12:20:00.000-04:00",
    "last_updated": "2019-10-31T09:00:00.000-04:00",
}


@pytest.fixture
def api() -> Iterator[FakePlatformApi]:
    with FakePlatformApi(auth=("Authorization", f"Bearer {TOKEN}")) as fake:
        fake.serve("/orders/2195160686", ORDER)
        fake.serve("/shipments/40546549876", SHIPMENT)
        yield fake


def shop_for(sqlite_url: str, api: FakePlatformApi, sample_name: str) -> Runtime:
    """The notifier as the app that the sample notification is addressed to."""
    app_id = str(sample("mercadolibre", sample_name)["application_id"])
    settings = settings_for(
        sqlite_url,
        mercadolibre_app_id=app_id,
        mercadolibre_access_token=SecretStr(TOKEN),
        mercadolibre_base_url=api.base_url,
    )
    return build_runtime(settings, console=io.StringIO())


def post(runtime: Runtime, body: bytes) -> Any:
    return TestClient(create_app(runtime)).post("/webhooks/mercadolibre", content=body)


def test_orders_v2_sample_records_a_placed_order_without_sending_to_the_hidden_buyer(
    sqlite_url: str, api: FakePlatformApi
) -> None:
    shop = shop_for(sqlite_url, api, "orders_v2.json")
    assert post(shop, sample_bytes("mercadolibre", "orders_v2.json")).status_code == 200
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.placed"
    assert event["customer"] == {"id": "mercadolibre:468424240", "name": "Ana Pérez"}
    assert HIDDEN_CONTACT in event["source"]["notes"]
    assert event["order"]["items"][0] == {
        "sku": "AUD-1", "name": "Audífonos", "quantity": 1, "unit_price": "1299.50"
    }  # fmt: skip
    [record] = message_records(shop.db_url, order_id="mercadolibre:2195160686")
    assert (record["kind"], record["status"]) == ("order_confirmed", "skipped")
    assert [r.path for r in api.requests] == ["/orders/2195160686"]


def test_a_cancelled_order_is_an_order_canceled(sqlite_url: str, api: FakePlatformApi) -> None:
    api.serve("/orders/2195160686", ORDER | {"status": "cancelled"})
    shop = shop_for(sqlite_url, api, "orders_v2.json")
    post(shop, sample_bytes("mercadolibre", "orders_v2.json"))
    assert stored_events(shop.db_url)[0]["type"] == "order.canceled"


@pytest.mark.parametrize(
    ("status", "substatus", "event_type"),
    [
        ("shipped", None, "order.shipped"),
        ("shipped", "out_for_delivery", "shipment.out_for_delivery"),
        ("shipped", "receiver_absent", "shipment.exception"),
        ("shipped", "bad_address", "shipment.exception"),
        ("shipped", "in_hub", "shipment.in_transit"),
        ("not_delivered", "returning_to_sender", "shipment.exception"),
        ("delivered", None, "shipment.delivered"),
    ],
)
def test_shipments_sample_maps_status_and_substatus(
    sqlite_url: str, api: FakePlatformApi, status: str, substatus: str | None, event_type: str
) -> None:
    api.serve("/shipments/40546549876", SHIPMENT | {"status": status, "substatus": substatus})
    shop = shop_for(sqlite_url, api, "shipments.json")
    assert post(shop, sample_bytes("mercadolibre", "shipments.json")).status_code == 200
    [event] = stored_events(shop.db_url)
    assert (event["type"], event["order"]["id"]) == (event_type, "mercadolibre:2195160686")
    assert event["shipment"]["tracking_number"] == "MEL40546549876"
    if event_type == "shipment.exception":
        assert event["shipment"]["reason"] == substatus
    assert api.requests[0].headers["x-format-new"] == "true"


def test_a_shipment_still_being_prepared_is_ignored(sqlite_url: str, api: FakePlatformApi) -> None:
    api.serve("/shipments/40546549876", SHIPMENT | {"status": "ready_to_ship"})
    shop = shop_for(sqlite_url, api, "shipments.json")
    post(shop, sample_bytes("mercadolibre", "shipments.json"))
    assert stored_events(shop.db_url) == []
    assert handed_off(shop.db_url)[0][1] == "ignored"


@pytest.mark.parametrize("name", ["payments.json", "claims.json"])
def test_topics_we_do_not_map_are_200_and_store_nothing(
    sqlite_url: str, api: FakePlatformApi, name: str
) -> None:
    shop = shop_for(sqlite_url, api, name)
    response = post(shop, sample_bytes("mercadolibre", name))
    assert response.status_code == 200
    assert response.json()["ignored"]
    assert handed_off(shop.db_url) == [] and api.requests == []


def test_a_notification_for_another_application_is_401(
    sqlite_url: str, api: FakePlatformApi
) -> None:
    shop = shop_for(sqlite_url, api, "orders_v2.json")
    response = post(shop, sample_bytes("mercadolibre", "shipments.json"))  # app 12341234
    assert response.status_code == 401
    assert "application_id" in response.text
    assert handed_off(shop.db_url) == []


def test_the_answer_comes_before_any_fetch_well_within_500_ms(
    sqlite_url: str, api: FakePlatformApi
) -> None:
    shop = shop_for(sqlite_url, api, "orders_v2.json")
    shop.dispatcher = HeldDispatcher()
    client = TestClient(create_app(shop))
    body = sample_bytes("mercadolibre", "orders_v2.json")
    client.post("/webhooks/mercadolibre", content=b"{}")  # warm up the app
    started = time.monotonic()
    response = client.post("/webhooks/mercadolibre", content=body)
    assert time.monotonic() - started < 0.5
    assert response.json() == {"queued": True, "duplicate": False}
    assert api.requests == []


def test_a_retried_notification_is_fetched_once(sqlite_url: str, api: FakePlatformApi) -> None:
    shop = shop_for(sqlite_url, api, "orders_v2.json")
    retry = sample("mercadolibre", "orders_v2.json") | {"attempts": 2}
    post(shop, sample_bytes("mercadolibre", "orders_v2.json"))
    assert post(shop, json.dumps(retry).encode()).json()["duplicate"] is True
    assert len(api.requests) == 1


def test_a_message_replayed_from_missed_feeds_is_answered_and_ignored(
    sqlite_url: str, api: FakePlatformApi
) -> None:
    [missed] = sample("mercadolibre", "missed_feeds_response.json")["messages"]
    body = missed["request"]["data"].encode()  # the notification as it was first sent
    settings = settings_for(
        sqlite_url,
        mercadolibre_app_id=str(missed["application_id"]),
        mercadolibre_access_token=SecretStr(TOKEN),
        mercadolibre_base_url=api.base_url,
    )
    response = post(build_runtime(settings, console=io.StringIO()), body)
    assert response.status_code == 200
    assert "messages" in response.json()["ignored"]
    assert api.requests == []
