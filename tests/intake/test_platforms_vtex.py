"""VTEX order hooks through `/webhooks/vtex`, the order fetched from a fake OMS API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.errors import TransientError
from notifier.http.app import create_app
from notifier.intake import platforms
from notifier.intake.platforms import fetch_and_ingest
from notifier.store.timeline import message_records
from notifier.vocabulary import utcnow
from notifier.workers import broker, scheduler
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import settings_for
from tests.fakes.platforms import FakePlatformApi
from tests.platforms import HeldDispatcher, handed_off, sample, stored_events, stored_types

HOOK_KEY = "hook-key-for-tests"
APP_KEY, APP_TOKEN = "vtexappkey-test", "app-token-for-tests"
APPROVED = "hook_notification_payment-approved.json"
READY = "hook_notification_ready-for-handling.json"


@pytest.fixture
def oms() -> Iterator[FakePlatformApi]:
    with FakePlatformApi(auth=("X-VTEX-API-AppToken", APP_TOKEN)) as api:
        for hook in (APPROVED, READY):
            order_id = sample("vtex", hook)["OrderId"]
            order = sample("vtex", "order_get_response.json") | {"orderId": order_id}
            api.serve(f"/api/oms/pvt/orders/{order_id}", order)
        yield api


def shop_for(sqlite_url: str, oms: FakePlatformApi, account: str | None = None) -> Runtime:
    settings = settings_for(
        sqlite_url,
        vtex_account=account,
        vtex_app_key=APP_KEY,
        vtex_app_token=SecretStr(APP_TOKEN),
        vtex_hook_key=SecretStr(HOOK_KEY),
        vtex_base_url=oms.base_url,
    )
    return build_runtime(settings, console=io.StringIO())


@pytest.fixture
def shop(sqlite_url: str, oms: FakePlatformApi) -> Runtime:
    return shop_for(sqlite_url, oms)


def post(runtime: Runtime, hook: dict[str, Any], key: str | None = HOOK_KEY) -> Any:
    headers = {"X-Notifier-Hook-Key": key} if key else {}
    return TestClient(create_app(runtime)).post("/webhooks/vtex", json=hook, headers=headers)


def hook(name: str = APPROVED, **changes: Any) -> dict[str, Any]:
    return sample("vtex", name) | changes


def test_payment_approved_sample_is_paid_and_confirmed(shop: Runtime, oms: FakePlatformApi) -> None:
    response = post(shop, hook())
    assert response.status_code == 200
    assert response.json() == {"queued": True, "duplicate": False}
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.paid"
    assert event["order"]["id"] == "vtex:v40484048naf-01"
    assert event["order"]["total"] == "11.60"
    assert event["customer"]["email"] == "rodrigo.smith@email.com"
    assert event["customer"]["phone"] == "+5561992227222"
    assert event["customer"]["locale"] == "en-US"
    [seen] = oms.requests
    assert seen.headers["x-vtex-api-appkey"] == APP_KEY
    kinds = [r["kind"] for r in message_records(shop.db_url, order_id="vtex:v40484048naf-01")]
    assert kinds == ["order_confirmed"]


def test_ready_for_handling_sample_is_an_order_placed(shop: Runtime) -> None:
    post(shop, hook(READY))
    [event] = stored_events(shop.db_url)
    assert (event["type"], event["payment"]["status"]) == ("order.placed", "approved")
    assert (
        event["event_id"] == "vtex:v52277740atmc-01:ready-for-handling:2019-08-14T17:12:48.0965893Z"
    )


def test_invoiced_is_shipped_with_tracking_and_delivered_when_the_carrier_says_so(
    shop: Runtime,
) -> None:
    post(shop, hook(State="invoiced"))
    shipped, delivered = stored_events(shop.db_url)
    assert shipped["type"] == "order.shipped"
    assert shipped["shipment"]["tracking_number"] == "TRK-48960684"
    assert shipped["shipment"]["carrier"] == "PAC Correios"
    assert shipped["shipment"]["tracking_url"].startswith("https://tracking.fastdelivery.com/")
    assert delivered["type"] == "shipment.delivered"
    kinds = {r["kind"] for r in message_records(shop.db_url, order_id="vtex:v40484048naf-01")}
    assert {"order_shipped", "order_delivered"} <= kinds


def test_canceled_is_an_order_canceled_with_the_reason(shop: Runtime) -> None:
    post(shop, hook(State="canceled"))
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.canceled"
    assert event["order"]["cancel_reason"] == "Item size was too large."


def test_payment_pending_names_the_payment_method(shop: Runtime) -> None:
    post(shop, hook(State="payment-pending"))
    [event] = stored_events(shop.db_url)
    assert event["type"] == "order.payment_pending"
    assert event["payment"]["method"] == "card"


def test_a_state_we_do_not_map_is_ignored_with_the_reason(shop: Runtime) -> None:
    assert post(shop, hook(State="handling")).status_code == 200
    assert stored_events(shop.db_url) == []
    assert handed_off(shop.db_url) == [
        ("vtex", "ignored", "state 'handling' is not told to customers")
    ]


def test_the_ping_is_answered_and_stores_nothing(shop: Runtime, oms: FakePlatformApi) -> None:
    response = post(shop, sample("vtex", "hook_ping.json"))
    assert response.status_code == 200
    assert handed_off(shop.db_url) == [] and oms.requests == []


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_wrong_or_missing_hook_key_is_401_and_stores_nothing(
    shop: Runtime, oms: FakePlatformApi, key: str | None
) -> None:
    response = post(shop, hook(), key=key)
    assert response.status_code == 401
    assert "X-Notifier-Hook-Key" in response.text
    assert handed_off(shop.db_url) == [] and oms.requests == []


def test_a_hook_from_another_account_is_401(sqlite_url: str, oms: FakePlatformApi) -> None:
    runtime = shop_for(sqlite_url, oms, account="automacaoqa")
    assert post(runtime, hook()).status_code == 401  # the sample is from accountABC
    assert post(runtime, hook(READY)).status_code == 200


def test_the_same_hook_twice_is_fetched_once(shop: Runtime, oms: FakePlatformApi) -> None:
    post(shop, hook())
    assert post(shop, hook()).json() == {"queued": False, "duplicate": True}
    assert len(oms.requests) == 1
    assert len(stored_events(shop.db_url)) == 1


def test_a_hook_missing_its_order_id_is_422_naming_it(shop: Runtime) -> None:
    response = post(shop, {k: v for k, v in hook().items() if k != "OrderId"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "OrderId"


def test_the_request_only_stores_the_hook_and_the_task_fetches_the_order(
    shop: Runtime, oms: FakePlatformApi
) -> None:
    held = shop.dispatcher = HeldDispatcher()
    assert post(shop, hook()).status_code == 200
    assert oms.requests == [] and stored_events(shop.db_url) == []
    [(task, row_id)] = held.sent
    assert task == broker.PLATFORM_FETCH
    assert fetch_and_ingest(shop, row_id) == "done"
    assert stored_types(shop.db_url) == ["order.paid"]
    assert fetch_and_ingest(shop, row_id) is None  # done already: nothing twice


def test_a_transient_api_failure_is_retried_until_the_order_comes(
    shop: Runtime, oms: FakePlatformApi
) -> None:
    held = shop.dispatcher = HeldDispatcher()
    post(shop, hook())
    [(_, row_id)] = held.sent
    oms.fail_next(503)
    with pytest.raises(TransientError, match="503"):
        fetch_and_ingest(shop, row_id)  # the worker's actor turns this into a retry
    assert handed_off(shop.db_url)[0][1] == "received"
    assert fetch_and_ingest(shop, row_id) == "done"
    assert stored_types(shop.db_url) == ["order.paid"]


def test_the_embedded_mode_leaves_a_failed_fetch_to_the_scheduler_sweep(
    shop: Runtime, oms: FakePlatformApi
) -> None:
    oms.fail_next(500)
    assert post(shop, hook()).status_code == 200  # never a 500 for the platform's outage
    assert stored_events(shop.db_url) == []
    scheduler.tick(shop, utcnow() + timedelta(minutes=10))
    assert stored_types(shop.db_url) == ["order.paid"]


def test_an_order_the_api_does_not_know_fails_with_the_reason(
    shop: Runtime, oms: FakePlatformApi
) -> None:
    post(shop, hook(OrderId="v000-01"))
    [(platform, status, outcome)] = handed_off(shop.db_url)
    assert (platform, status) == ("vtex", "failed")
    assert outcome is not None and "404" in outcome and APP_TOKEN not in outcome


def test_an_order_of_the_wrong_shape_fails_with_the_reason_instead_of_retrying(
    shop: Runtime, oms: FakePlatformApi
) -> None:
    order = sample("vtex", "order_get_response.json") | {"clientProfileData": "junk"}
    oms.serve("/api/oms/pvt/orders/v40484048naf-01", order)
    assert post(shop, hook()).status_code == 200
    [(_, status, outcome)] = handed_off(shop.db_url)
    assert status == "failed" and outcome is not None and "AttributeError" in outcome


def test_a_fetch_that_keeps_failing_is_given_up_with_the_reason(
    shop: Runtime, oms: FakePlatformApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platforms, "MAX_FETCH_ATTEMPTS", 2)
    held = shop.dispatcher = HeldDispatcher()
    post(shop, hook())
    [(_, row_id)] = held.sent
    oms.fail_next(503, times=2)
    with pytest.raises(TransientError):
        fetch_and_ingest(shop, row_id)
    assert fetch_and_ingest(shop, row_id) == "failed"
    [(_, status, outcome)] = handed_off(shop.db_url)
    assert status == "failed" and outcome is not None and "gave up after 2 attempts" in outcome
