"""Shopify webhooks through `/webhooks/shopify`: signed samples become events and messages."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.http.app import create_app
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import settings_for
from tests.platforms import base64_hmac, sample, sample_bytes, stored_events, stored_types

SECRET = "shpss_test_secret"
ORDER = "shopify:820982911946154508"


@pytest.fixture
def shop(sqlite_url: str) -> Runtime:
    settings = settings_for(sqlite_url, shopify_webhook_secret=SecretStr(SECRET))
    return build_runtime(settings, console=io.StringIO())


@pytest.fixture
def client(shop: Runtime) -> TestClient:
    return TestClient(create_app(shop))


def post(
    client: TestClient,
    topic: str,
    body: bytes,
    webhook_id: str,
    signature: str | None = None,
) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Triggered-At": "2026-11-20T15:00:00Z",
        "X-Shopify-Hmac-Sha256": signature or base64_hmac(SECRET, body),
    }
    return client.post("/webhooks/shopify", content=body, headers=headers)


def post_sample(client: TestClient, topic: str, name: str, webhook_id: str) -> Any:
    return post(client, topic, sample_bytes("shopify", name), webhook_id)


def post_json(client: TestClient, topic: str, payload: dict[str, Any], webhook_id: str) -> Any:
    return post(client, topic, json.dumps(payload).encode(), webhook_id)


def kinds(shop: Runtime, order_id: str = ORDER) -> dict[str, str]:
    return {r["kind"]: r["status"] for r in message_records(shop.db_url, order_id=order_id)}


# Each sample after the order was created: its topic, the event it becomes, the message it sends.
SAMPLES = [
    ("orders/cancelled", "orders_cancelled.json", "order.canceled", "order_canceled"),
    ("fulfillments/create", "fulfillments_create.json", "order.shipped", "order_shipped"),
    ("refunds/create", "refunds_create.json", "order.refunded", "refund_issued"),
]


def test_orders_create_sample_is_an_order_placed_with_a_confirmation(
    client: TestClient, shop: Runtime
) -> None:
    response = post_sample(client, "orders/create", "orders_create.json", "wh-1")
    assert response.status_code == 200
    assert response.json()["accepted"] == [{"event_id": "shopify:wh-1", "duplicate": False}]
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.placed"
    assert event["customer"]["email"] == "jon@example.com"
    assert event["order"]["number"] == "#9999"
    assert event["order"]["total"] == "414.95"
    assert len(event["order"]["items"]) == 5
    assert kinds(shop) == {"order_confirmed": "sent"}


@pytest.mark.parametrize(("topic", "name", "event_type", "kind"), SAMPLES)
def test_each_order_sample_yields_its_event_and_message(
    client: TestClient, shop: Runtime, topic: str, name: str, event_type: str, kind: str
) -> None:
    post_sample(client, "orders/create", "orders_create.json", "wh-create")
    assert post_sample(client, topic, name, "wh-2").status_code == 200
    assert stored_types(shop.db_url) == ["order.placed", event_type]
    assert kinds(shop)[kind] == "sent"


def test_fulfillment_sample_carries_the_tracking(client: TestClient, shop: Runtime) -> None:
    post_sample(client, "fulfillments/create", "fulfillments_create.json", "wh-1")
    [event] = stored_events(shop.db_url)
    assert event["shipment"]["carrier"] == "UPS"
    assert event["shipment"]["tracking_number"] == "1z827wk74630"
    assert event["shipment"]["tracking_url"].startswith("https://www.ups.com/")


def test_refund_sample_sums_its_successful_refund_transactions(
    client: TestClient, shop: Runtime
) -> None:
    post_sample(client, "refunds/create", "refunds_create.json", "wh-1")
    [event] = stored_events(shop.db_url)
    assert event["order"] == {"id": ORDER, "refund_amount": "85.00"}


def test_fulfillment_event_sample_is_in_transit_and_sends_nothing_by_itself(
    client: TestClient, shop: Runtime
) -> None:
    post_sample(client, "orders/create", "orders_create.json", "wh-1")
    post_sample(client, "fulfillments/create", "fulfillments_create.json", "wh-2")
    post_sample(client, "fulfillment_events/create", "fulfillment_events_create.json", "wh-3")
    assert stored_types(shop.db_url)[-1] == "shipment.in_transit"
    assert set(kinds(shop)) == {"order_confirmed", "order_shipped", "in_transit_update"}


@pytest.mark.parametrize(
    ("status", "event_type", "reason"),
    [
        ("out_for_delivery", "shipment.out_for_delivery", None),
        ("delivered", "shipment.delivered", None),
        ("delayed", "shipment.exception", "delayed"),
        ("failure", "shipment.exception", "failure"),
        ("attempted_delivery", "shipment.exception", "attempted_delivery"),
    ],
)
def test_fulfillment_event_statuses_map_to_shipment_events(
    client: TestClient, shop: Runtime, status: str, event_type: str, reason: str | None
) -> None:
    scan = sample("shopify", "fulfillment_events_create.json") | {"status": status}
    post_json(client, "fulfillment_events/create", scan, "wh-1")
    [event] = stored_events(shop.db_url)
    assert event["type"] == event_type
    assert event["shipment"].get("reason") == reason


def test_a_new_estimated_delivery_date_is_an_eta_update(client: TestClient, shop: Runtime) -> None:
    scan = sample("shopify", "fulfillment_events_create.json")
    scan |= {"status": "confirmed", "estimated_delivery_at": "2026-11-28T18:00:00-05:00"}
    post_json(client, "fulfillment_events/create", scan, "wh-1")
    [event] = stored_events(shop.db_url)
    assert event["type"] == "shipment.eta_updated"
    assert event["shipment"]["eta"] == "2026-11-28T18:00:00-05:00"


def test_return_request_sample_is_a_return_requested(client: TestClient, shop: Runtime) -> None:
    post_sample(client, "returns/request", "returns_request.json", "wh-1")
    [event] = stored_events(shop.db_url)
    assert (event["type"], event["order"]["id"]) == ("return.requested", "shopify:4783296544821")
    # an order the notifier never saw: the message is recorded and skipped, with the reason
    [record] = message_records(shop.db_url, order_id="shopify:4783296544821")
    assert (record["kind"], record["status"]) == ("return_received", "skipped")
    assert "no customer" in record["error"]


@pytest.mark.parametrize("topic", ["checkouts/create", "checkouts/update"])
def test_checkout_samples_are_cart_updates_with_the_recovery_url(
    client: TestClient, shop: Runtime, topic: str
) -> None:
    name = topic.replace("/", "_") + ".json"
    assert post_sample(client, topic, name, "wh-1").status_code == 200
    [event] = stored_events(shop.db_url)
    assert event["type"] == "cart.updated"
    assert event["cart"]["id"] == "shopify:123123123"
    assert event["cart"]["recovery_url"].endswith(
        "/checkouts/123123123/recover?key=example-secret-token"
    )
    assert event["customer"]["email"] == "example@email.com"
    reminders = {r["kind"] for r in message_records(shop.db_url) if r["status"] == "scheduled"}
    assert reminders == {"cart_reminder_1", "cart_reminder_2"}


def test_a_completed_checkout_clears_the_cart_reminders(client: TestClient, shop: Runtime) -> None:
    post_sample(client, "checkouts/create", "checkouts_create.json", "wh-1")
    completed = sample("shopify", "checkouts_update.json")
    completed["completed_at"] = "2026-11-20T16:00:00-05:00"
    post_json(client, "checkouts/update", completed, "wh-2")
    assert stored_types(shop.db_url) == ["cart.updated", "cart.cleared"]
    statuses = {r["status"] for r in message_records(shop.db_url)}
    assert statuses == {"canceled"}


def test_the_same_webhook_id_twice_yields_one_event_and_one_message(
    client: TestClient, shop: Runtime
) -> None:
    first = post_sample(client, "orders/create", "orders_create.json", "wh-same")
    second = post_sample(client, "orders/create", "orders_create.json", "wh-same")
    assert second.json()["accepted"] == [{"event_id": "shopify:wh-same", "duplicate": True}]
    assert first.status_code == second.status_code == 200
    assert len(stored_events(shop.db_url)) == 1
    assert len(message_records(shop.db_url)) == 1


@pytest.mark.parametrize("signature", ["bm90IHRoZSBobWFj", base64_hmac("another-secret", b"{}")])
def test_a_wrong_hmac_is_401_and_stores_nothing(
    client: TestClient, shop: Runtime, signature: str
) -> None:
    body = sample_bytes("shopify", "orders_create.json")
    response = post(client, "orders/create", body, "wh-1", signature=signature)
    assert response.status_code == 401
    assert "X-Shopify-Hmac-Sha256" in response.text
    assert stored_events(shop.db_url) == []


def test_a_missing_hmac_is_401(client: TestClient, shop: Runtime) -> None:
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "wh-1"}
    response = client.post("/webhooks/shopify", content=b"{}", headers=headers)
    assert response.status_code == 401
    assert stored_events(shop.db_url) == []


def test_an_unmapped_topic_is_200_ignored_and_logged_once(
    client: TestClient, shop: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="notifier.intake.platforms"):
        for webhook_id in ("wh-1", "wh-2"):
            response = post_json(client, "products/update", {"id": 1}, webhook_id)
            assert response.status_code == 200
            assert "products/update" in response.json()["ignored"]
    assert stored_events(shop.db_url) == []
    assert sum("products/update" in r.getMessage() for r in caplog.records) <= 1


def test_pending_payment_is_an_order_payment_pending(client: TestClient, shop: Runtime) -> None:
    order = sample("shopify", "orders_create.json") | {"financial_status": "pending"}
    post_json(client, "orders/create", order, "wh-1")
    [event] = stored_events(shop.db_url)
    assert (event["type"], event["payment"]) == ("order.payment_pending", {"status": "pending"})
    assert "order_confirmed" not in kinds(shop)  # not confirmed before it is paid


def test_mexican_legacy_mobile_prefix_becomes_e164(client: TestClient, shop: Runtime) -> None:
    order = sample("shopify", "orders_create.json") | {"phone": "+52 1 55 1234 5678"}
    post_json(client, "orders/create", order, "wh-1")
    [event] = stored_events(shop.db_url)
    assert event["customer"]["phone"] == "+525512345678"


def test_a_national_number_takes_the_shops_country(client: TestClient, shop: Runtime) -> None:
    order = sample("shopify", "orders_create.json") | {"phone": "55 1234 5678"}
    post_json(client, "orders/create", order, "wh-1")
    assert stored_events(shop.db_url)[0]["customer"]["phone"] == "+525512345678"


def test_an_order_without_any_usable_contact_is_recorded_with_the_reason(
    client: TestClient, shop: Runtime
) -> None:
    order = sample("shopify", "orders_create.json")
    order |= {"email": None, "contact_email": None, "customer": None, "phone": "12"}
    response = post_json(client, "orders/create", order, "wh-1")
    assert response.status_code == 200
    [event] = stored_events(shop.db_url)
    assert "email" not in event["customer"] and "phone" not in event["customer"]
    assert any("no usable contact" in note for note in event["source"]["notes"])
    [record] = message_records(shop.db_url, order_id=ORDER)
    assert record["status"] == "skipped"


def test_an_unusable_optional_value_is_dropped_with_a_note(
    client: TestClient, shop: Runtime
) -> None:
    order = sample("shopify", "orders_create.json") | {"order_status_url": "not a url"}
    assert post_json(client, "orders/create", order, "wh-1").status_code == 200
    [event] = stored_events(shop.db_url)
    assert "status_url" not in event["order"]
    assert "dropped order.status_url: not a usable value" in event["source"]["notes"]


def test_a_payload_without_the_order_id_is_422_naming_it(client: TestClient, shop: Runtime) -> None:
    fulfillment = sample("shopify", "fulfillments_create.json") | {"order_id": None}
    response = post_json(client, "fulfillments/create", fulfillment, "wh-1")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "order_id"
    assert stored_events(shop.db_url) == []


def test_a_signed_body_that_is_not_json_is_400(client: TestClient, shop: Runtime) -> None:
    response = post(client, "orders/create", b"{not json", "wh-1")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "(body)"


def test_without_the_secret_setting_shopify_is_not_connected(sqlite_url: str) -> None:
    client = TestClient(create_app(build_runtime(settings_for(sqlite_url))))
    response = post_sample(client, "orders/create", "orders_create.json", "wh-1")
    assert response.status_code == 503
    assert "SHOPIFY_WEBHOOK_SECRET" in response.text


def test_a_payload_part_of_the_wrong_json_type_is_422_not_500(
    client: TestClient, shop: Runtime
) -> None:
    order = sample("shopify", "orders_create.json") | {"customer": "not an object"}
    response = post_json(client, "orders/create", order, "wh-1")
    assert response.status_code == 422
    assert "payload shape" in response.json()["detail"][0]["reason"]
    assert stored_events(shop.db_url) == []


def test_fulfillments_update_sample_without_a_shipment_status_is_ignored(
    client: TestClient, shop: Runtime
) -> None:
    response = post_sample(client, "fulfillments/update", "fulfillments_update.json", "wh-1")
    assert response.status_code == 200
    assert response.json()["accepted"] == [] and response.json()["ignored"]
    assert stored_events(shop.db_url) == []


def test_fulfillments_update_with_a_shipment_status_maps_it(
    client: TestClient, shop: Runtime
) -> None:
    update = sample("shopify", "fulfillments_update.json") | {"shipment_status": "delivered"}
    post_json(client, "fulfillments/update", update, "wh-1")
    [event] = stored_events(shop.db_url)
    assert (event["type"], event["shipment"]["tracking_number"]) == (
        "shipment.delivered",
        "1z827wk74630",
    )


def test_a_webhook_over_one_mib_is_refused_and_stores_nothing(
    client: TestClient, shop: Runtime
) -> None:
    body = b'{"id": 1, "note": "' + b"x" * (1024 * 1024) + b'"}'
    response = post(client, "orders/create", body, "wh-too-large")
    assert response.status_code == 413
    assert response.json()["detail"] == [
        {"field": "(body)", "reason": "webhook body is over 1 MiB"}
    ]
    assert stored_events(shop.db_url) == []
