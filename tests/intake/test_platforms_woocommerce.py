"""WooCommerce webhooks through `/webhooks/woocommerce`: status transitions become events."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.http.app import create_app
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import settings_for
from tests.platforms import base64_hmac, sample, sample_bytes, stored_events, stored_types

SECRET = "wc_test_secret"
ORDER = "woocommerce:727"


@pytest.fixture
def shop(sqlite_url: str) -> Runtime:
    settings = settings_for(sqlite_url, woocommerce_webhook_secret=SecretStr(SECRET))
    return build_runtime(settings, console=io.StringIO())


@pytest.fixture
def client(shop: Runtime) -> TestClient:
    return TestClient(create_app(shop))


def post(client: TestClient, body: bytes, signature: str | None = None) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": signature or base64_hmac(SECRET, body),
    }
    return client.post("/webhooks/woocommerce", content=body, headers=headers)


def post_order(client: TestClient, status: str, modified: str, **changes: Any) -> Any:
    order = sample("woocommerce", "order.created.json")
    order.update(status=status, date_modified_gmt=modified, **changes)
    return post(client, json.dumps(order).encode())


def sent(shop: Runtime) -> list[str]:
    return [r["kind"] for r in message_records(shop.db_url, order_id=ORDER)]


def test_the_ping_sent_when_a_webhook_is_saved_is_answered_200(
    client: TestClient, shop: Runtime
) -> None:
    response = client.post(
        "/webhooks/woocommerce",
        content=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert stored_events(shop.db_url) == []


def test_order_created_sample_is_an_order_placed_with_a_confirmation(
    client: TestClient, shop: Runtime
) -> None:
    response = post(client, sample_bytes("woocommerce", "order.created.json"))
    assert response.status_code == 200
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.placed"
    assert event["occurred_at"] == "2017-03-22T19:28:08+00:00"
    assert event["customer"]["email"] == "john.doe@example.com"
    assert event["customer"]["name"] == "John Doe"
    assert event["order"]["total"] == "29.35"
    assert event["order"]["items"][1]["name"] == "Ship Your Idea \u2013 Color: Black, Size: M Test"
    assert sent(shop) == ["order_confirmed"]


def test_order_updated_sample_after_created_is_an_order_shipped(
    client: TestClient, shop: Runtime
) -> None:
    post(client, sample_bytes("woocommerce", "order.created.json"))
    assert post(client, sample_bytes("woocommerce", "order.updated.json")).status_code == 200
    assert stored_types(shop.db_url) == ["order.placed", "order.shipped"]
    assert {"order_confirmed", "order_shipped"} <= set(sent(shop))


def test_a_delivery_with_the_same_status_is_ignored(client: TestClient, shop: Runtime) -> None:
    post(client, sample_bytes("woocommerce", "order.created.json"))
    again = post_order(client, "processing", "2017-03-22T19:29:00")
    assert again.status_code == 200
    assert "still 'processing'" in again.json()["ignored"]
    assert stored_types(shop.db_url) == ["order.placed"]


def test_on_hold_then_processing_is_payment_pending_then_paid(
    client: TestClient, shop: Runtime
) -> None:
    post_order(client, "on-hold", "2017-03-22T19:28:00")
    post_order(client, "processing", "2017-03-23T10:00:00")
    events = stored_events(shop.db_url)
    assert [e["type"] for e in events] == ["order.payment_pending", "order.paid"]
    assert events[0]["payment"] == {"status": "pending", "method": "other"}
    # how to pay while on hold (issue 9: payment vouchers), the confirmation once paid
    assert sent(shop) == ["payment_pending", "order_confirmed"]


@pytest.mark.parametrize(
    ("status", "event_type", "kind"),
    [
        ("cancelled", "order.canceled", "order_canceled"),
        ("refunded", "order.refunded", "refund_issued"),
    ],
)
def test_cancelled_and_refunded_orders_are_told(
    client: TestClient, shop: Runtime, status: str, event_type: str, kind: str
) -> None:
    post(client, sample_bytes("woocommerce", "order.created.json"))
    post_order(client, status, "2017-03-24T10:00:00")
    assert stored_types(shop.db_url)[-1] == event_type
    assert kind in sent(shop)


def test_a_refund_carries_the_refunded_amount(client: TestClient, shop: Runtime) -> None:
    post_order(client, "refunded", "2017-03-24T10:00:00", refunds=[{"id": 1, "total": "-10.00"}])
    assert stored_events(shop.db_url)[0]["order"]["refund_amount"] == "10.00"


@pytest.mark.parametrize("status", ["pending", "failed", "trash"])
def test_statuses_not_told_to_customers_are_ignored(
    client: TestClient, shop: Runtime, status: str
) -> None:
    assert post_order(client, status, "2017-03-22T19:28:00").status_code == 200
    assert stored_events(shop.db_url) == []


def test_an_invalid_phone_is_recorded_as_a_note_and_email_is_kept(
    client: TestClient, shop: Runtime
) -> None:
    post(client, sample_bytes("woocommerce", "order.created.json"))
    [event] = stored_events(shop.db_url)
    assert "phone" not in event["customer"]  # (555) 555-5555 is no real US number
    assert any("no phone number usable" in note for note in event["source"]["notes"])


def test_a_bad_signature_is_401_and_the_status_is_not_remembered(
    client: TestClient, shop: Runtime
) -> None:
    body = sample_bytes("woocommerce", "order.created.json")
    assert post(client, body, signature=base64_hmac("wrong", body)).status_code == 401
    assert stored_events(shop.db_url) == []
    post(client, body)
    assert stored_types(shop.db_url) == ["order.placed"]
