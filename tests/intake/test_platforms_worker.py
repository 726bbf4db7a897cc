"""The production shape for platforms whose webhooks carry ids only: the API stores the
notification and answers; a real `notifier worker` on Redis fetches the order and ingests it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.http.app import create_app
from notifier.store.timeline import message_records
from notifier.workers.runtime import build_runtime
from tests.conftest import WorkerStarter, settings_for, wait_until
from tests.fakes.platforms import FakePlatformApi
from tests.platforms import handed_off, sample, stored_types

pytestmark = pytest.mark.slow

HOOK_KEY, APP_KEY, APP_TOKEN = "hook-key", "vtexappkey-test", "app-token"
ORDER_ID = "v40484048naf-01"


@pytest.fixture
def oms() -> Iterator[FakePlatformApi]:
    with FakePlatformApi(auth=("X-VTEX-API-AppToken", APP_TOKEN)) as api:
        order = sample("vtex", "order_get_response.json") | {"orderId": ORDER_ID}
        api.serve(f"/api/oms/pvt/orders/{ORDER_ID}", order)
        yield api


def test_a_vtex_hook_is_fetched_by_the_worker_and_retried_after_an_api_failure(
    postgres_url: str, redis_url: str, start_worker: WorkerStarter, oms: FakePlatformApi
) -> None:
    env = {"VTEX_HOOK_KEY": HOOK_KEY, "VTEX_APP_KEY": APP_KEY, "VTEX_APP_TOKEN": APP_TOKEN,
           "NOTIFIER_VTEX_BASE_URL": oms.base_url}  # fmt: skip
    settings = settings_for(
        postgres_url,
        broker_url=redis_url,
        vtex_hook_key=SecretStr(HOOK_KEY),
        vtex_app_key=APP_KEY,
        vtex_app_token=SecretStr(APP_TOKEN),
    )
    client = TestClient(create_app(build_runtime(settings)))
    oms.fail_next(503)  # the first fetch fails: the worker retries
    hook = sample("vtex", "hook_notification_payment-approved.json")
    response = client.post("/webhooks/vtex", json=hook, headers={"X-Notifier-Hook-Key": HOOK_KEY})
    assert response.json() == {"queued": True, "duplicate": False}
    worker: subprocess.Popen[bytes] = start_worker(env)
    wait_until(lambda: stored_types(postgres_url) == ["order.paid"], 60, "the order fetched")
    wait_until(
        lambda: [r["status"] for r in message_records(postgres_url)] == ["sent"],
        30,
        "the confirmation sent",
    )
    assert handed_off(postgres_url)[0][1] == "done"
    assert len(oms.requests) == 2
    assert worker.poll() is None
