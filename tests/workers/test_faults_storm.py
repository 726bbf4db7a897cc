"""A storm of malformed events at `POST /events`: every one a 4xx, never a 500, and the good
events in between all processed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifier.http.app import create_app
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime
from tests.conftest import example

pytestmark = pytest.mark.faults

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELDS = ["event_id", "type", "occurred_at", "customer", "order", "shipment", "cart", "payment"]


@st.composite
def broken_events(draw: st.DrawFn) -> bytes:
    """A valid event with one part replaced by junk, or raw junk bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    event: dict[str, Any] = example("order_placed")
    field = draw(st.sampled_from(FIELDS))
    event[field] = draw(JSON)
    if field in ("customer", "order") and draw(st.booleans()):
        event[field] = {**example("order_placed")[field], "id": draw(JSON)}
    return json.dumps(event).encode()


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime), raise_server_exceptions=False)


def test_malformed_storm_gets_4xx_and_good_events_still_go_through(
    client: TestClient, runtime: Runtime
) -> None:
    good = 0

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(body=broken_events())
    def storm(body: bytes) -> None:
        nonlocal good
        response = client.post("/events", content=body)
        if response.status_code == 202:
            return  # the junk happened to be valid (e.g. an extra-tolerant field)
        assert 400 <= response.status_code < 500, (response.status_code, body[:200])
        good += 1
        event = example("order_placed")
        event["event_id"] = f"evt-good-{good}"
        event["order"]["id"] = f"ord-good-{good}"
        assert client.post("/events", content=json.dumps(event).encode()).status_code == 202

    storm()
    sent = [r for r in message_records(runtime.db_url) if r["status"] == "sent"]
    assert good > 100
    assert len({r["order_id"] for r in sent if r["order_id"].startswith("ord-good-")}) == good
