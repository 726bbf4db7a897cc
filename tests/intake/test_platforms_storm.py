"""Storms of malformed platform payloads, correctly signed: a 2xx or a 4xx, never a 500."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from notifier.http.app import create_app
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import settings_for
from tests.platforms import base64_hmac, sample

pytestmark = pytest.mark.faults

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)  # fmt: skip
SHOPIFY = [
    ("orders/create", "orders_create.json"),
    ("fulfillments/create", "fulfillments_create.json"),
    ("fulfillment_events/create", "fulfillment_events_create.json"),
    ("refunds/create", "refunds_create.json"),
    ("checkouts/update", "checkouts_update.json"),
]
STORM = settings(max_examples=120, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@st.composite
def broken(draw: st.DrawFn, platform: str, name: str) -> dict[str, Any]:
    """A sample with one top-level field (or one field of a nested object) replaced by junk."""
    payload = sample(platform, name)
    field = draw(st.sampled_from(sorted(payload)))
    nested = payload[field]
    if isinstance(nested, dict) and nested and draw(st.booleans()):
        nested[draw(st.sampled_from(sorted(nested)))] = draw(JSON)
    else:
        payload[field] = draw(JSON)
    return payload


def shopify_case(case: tuple[str, str]) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """A topic and a broken sample of it."""
    topic, name = case
    return st.tuples(st.just(topic), broken("shopify", name))


@pytest.fixture
def shop(sqlite_url: str) -> Runtime:
    settings = settings_for(
        sqlite_url,
        shopify_webhook_secret=SecretStr("s"),
        woocommerce_webhook_secret=SecretStr("w"),
    )
    return build_runtime(settings, console=io.StringIO())


def test_malformed_shopify_payloads_are_never_a_500(shop: Runtime) -> None:
    client = TestClient(create_app(shop), raise_server_exceptions=False)
    count = iter(range(10**6))

    @STORM
    @given(case=st.sampled_from(SHOPIFY).flatmap(shopify_case))
    def storm(case: tuple[str, dict[str, Any]]) -> None:
        topic, payload = case
        body = json.dumps(payload).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": f"storm-{next(count)}",
            "X-Shopify-Hmac-Sha256": base64_hmac("s", body),
            "X-Shopify-Triggered-At": "2026-11-20T15:00:00Z",
        }
        response = client.post("/webhooks/shopify", content=body, headers=headers)
        assert response.status_code < 500, response.text

    storm()


def test_malformed_woocommerce_payloads_are_never_a_500(shop: Runtime) -> None:
    client = TestClient(create_app(shop), raise_server_exceptions=False)

    @STORM
    @given(payload=broken("woocommerce", "order.created.json"))
    def storm(payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        headers = {"X-WC-Webhook-Signature": base64_hmac("w", body)}
        response = client.post("/webhooks/woocommerce", content=body, headers=headers)
        assert response.status_code < 500, response.text

    storm()
