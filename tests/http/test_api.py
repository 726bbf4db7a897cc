"""The HTTP API: POST /events (single, batch, signed), timelines, health."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import subprocess
import urllib.request
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.http.app import create_app
from notifier.store.db import session_scope
from notifier.store.models import Event
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import (
    INVALID_EVENTS,
    JOURNEY_AS_ONE_BATCH,
    JOURNEY_AS_ONE_BATCH_SENT,
    answers,
    app_env,
    example,
    invalid_event,
    journey,
    notifier_command,
    outcome,
    sent_kinds,
    settings_for,
    wait_until,
)
from tests.fakes.smtp import free_port

SECRET = "s3cret-for-tests"
OPS = "ops-t0ken-for-tests"
AS_OPS = {"Authorization": f"Bearer {OPS}"}


@pytest.fixture
def client(sqlite_url: str) -> TestClient:
    """The embedded API with an ops token, called as ops unless a test says otherwise."""
    settings = settings_for(sqlite_url, ops_token=SecretStr(OPS))
    return TestClient(create_app(build_runtime(settings, console=io.StringIO())), headers=AS_OPS)


@pytest.fixture
def signed_runtime(sqlite_url: str) -> Runtime:
    settings = settings_for(sqlite_url, ingest_secret=SecretStr(SECRET))
    return build_runtime(settings, console=io.StringIO())


def post(client: TestClient, payload: Any, **headers: str) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/events", content=body, headers=headers)


def test_one_event_is_accepted_with_202_and_its_id(client: TestClient, runtime: Runtime) -> None:
    response = post(client, example("order_placed"))
    assert response.status_code == 202
    assert response.json() == {"accepted": [{"event_id": "evt-0001", "duplicate": False}]}
    assert [r["status"] for r in message_records(runtime.db_url)] == ["sent"]


def test_a_batch_is_accepted_and_duplicates_are_flagged(client: TestClient) -> None:
    first = post(client, journey())
    again = post(client, journey())
    assert first.status_code == again.status_code == 202
    assert all(not a["duplicate"] for a in first.json()["accepted"])
    assert all(a["duplicate"] for a in again.json()["accepted"])


def test_bad_json_is_400(client: TestClient) -> None:
    response = post(client, b"{not json")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "(body)"


def test_invalid_event_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    event = example("order_placed")
    event["customer"]["phone"] = "55-1234"
    response = post(client, event)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "customer.phone"
    assert message_records(runtime.db_url) == []


def test_a_batch_with_one_bad_event_is_rejected_whole_naming_its_index(
    client: TestClient, runtime: Runtime
) -> None:
    bad = example("order_shipped")
    bad["order"].pop("id")
    response = post(client, [example("order_placed"), bad])
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "[1].order.id", "reason": "Field required"}]
    assert message_records(runtime.db_url) == []


@pytest.mark.parametrize("case", list(INVALID_EVENTS), ids=list(INVALID_EVENTS))
def test_each_invalid_event_is_4xx_naming_the_field_and_stores_nothing(
    client: TestClient, runtime: Runtime, case: str
) -> None:
    text, expected = invalid_event(case)
    response = post(client, text.encode())
    assert response.status_code == (400 if case == "bad JSON" else 422)
    problem = response.json()["detail"][0]
    assert expected in f"{problem['field']}: {problem['reason']}"
    assert message_records(runtime.db_url) == []
    with session_scope(runtime.db_url) as session:
        assert session.query(Event).count() == 0


@pytest.mark.parametrize("item", [[0.0], 1, None, "order.placed", True])
def test_a_batch_item_that_is_not_an_object_is_422_naming_its_index(
    client: TestClient, item: Any
) -> None:
    response = post(client, [example("order_placed"), item])
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "[1].(body)", "reason": "an event must be a JSON object"}
    ]


def test_event_over_one_mebibyte_is_413(client: TestClient) -> None:
    event = example("order_placed")
    event["order"]["notes"] = "x" * (1024 * 1024)
    assert post(client, event).status_code == 413


def test_signature_is_required_when_a_secret_is_set(signed_runtime: Runtime) -> None:
    client = TestClient(create_app(signed_runtime))
    body = json.dumps(example("order_placed")).encode()
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    missing = post(client, body)
    wrong = post(client, body, **{"X-Notifier-Signature": "sha256=" + "0" * 64})
    right = post(client, body, **{"X-Notifier-Signature": good})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 202)
    assert missing.json()["detail"][0]["field"] == "X-Notifier-Signature"
    assert SECRET not in missing.text + wrong.text


def test_order_timeline_lists_the_messages(client: TestClient) -> None:
    post(client, journey())
    timeline = client.get("/orders/ord-5001/messages").json()
    assert sent_kinds(timeline) == JOURNEY_AS_ONE_BATCH_SENT
    assert outcome(timeline) == JOURNEY_AS_ONE_BATCH


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic b3BzOnQwa2Vu", OPS])
def test_an_order_timeline_needs_the_ops_token(
    client: TestClient, authorization: str | None
) -> None:
    post(client, journey())
    headers = {"Authorization": authorization} if authorization else {}
    client.headers.pop("Authorization")
    answer = client.get("/orders/ord-5001/messages", headers=headers)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert "+52" not in answer.text and "MX-5001" not in answer.text


def test_without_an_ops_token_setting_customer_data_is_closed(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime), headers={"Authorization": "Bearer anything"})
    post(client, journey())
    assert client.get("/orders/ord-5001/messages").status_code == 401
    assert client.get("/handoffs").status_code == 401
    assert client.post("/handoffs/1/close").status_code == 401
    assert client.get("/ops").status_code == 401


def test_healthz_answers_ok_when_database_and_broker_answer(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_naming_a_broker_that_does_not_answer(sqlite_url: str) -> None:
    runtime = build_runtime(settings_for(sqlite_url, broker_url="redis://127.0.0.1:1/0"))
    response = TestClient(create_app(runtime)).get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("failing")
    assert response.json()["database"] == "ok"


def test_openapi_schema_lists_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/events", "/healthz", "/orders/{order_id}/messages"} <= set(paths)


def test_request_over_sixteen_mebibytes_is_413_before_it_is_read(client: TestClient) -> None:
    response = post(client, b"[" + b" " * (16 * 1024 * 1024 + 1) + b"]")
    assert response.status_code == 413
    assert response.json()["detail"][0]["reason"] == "request is over 16 MiB"


def test_notifier_api_serves_post_events_over_real_http(sqlite_url: str) -> None:
    port = free_port()
    env = app_env(sqlite_url, "memory://", NOTIFIER_INGEST_SECRET=SECRET, NOTIFIER_OPS_TOKEN=OPS)
    server = subprocess.Popen(
        notifier_command("api", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/healthz"), what="the API to start")
        body = json.dumps(journey()).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"{base}/events", data=body, headers={"X-Notifier-Signature": signature}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202
            assert len(json.load(response)["accepted"]) == 7
        timeline = urllib.request.Request(f"{base}/orders/ord-5001/messages", headers=AS_OPS)
        with urllib.request.urlopen(timeline, timeout=10) as response:
            assert outcome(json.load(response)) == JOURNEY_AS_ONE_BATCH
    finally:
        server.terminate()
        server.wait(timeout=10)
