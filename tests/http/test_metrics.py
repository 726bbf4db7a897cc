"""`/metrics` moves with the work: events in, messages out, send times, backlog."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from notifier.http.app import create_app
from notifier.workers.runtime import Runtime
from tests.conftest import JOURNEY_AS_ONE_BATCH_SENT, example, journey


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_move_during_the_example_journey(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime))
    before = scrape(client)
    client.post("/events", content=json.dumps(journey()).encode())
    bad = example("order_placed") | {"event_id": "evt-bad"}
    bad["customer"]["phone"] = "5512"
    client.post("/events", content=json.dumps(bad).encode())
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    accepted = "notifier_events_accepted_total"
    assert moved(accepted, type="order.placed", duplicate="false") == 1
    assert moved(accepted, type="shipment.in_transit", duplicate="false") == 1
    rejected = "notifier_events_rejected_total"
    assert moved(rejected, type="order.placed", field="customer.phone") == 1
    sent = "notifier_messages_total"
    assert moved(sent, kind="order_confirmed", channel="console", status="sent") == 1
    # one batch: the delay notice is canceled by out-for-delivery before anything is sent
    assert moved(sent, kind="out_for_delivery", channel="console", status="sent") == 1
    assert moved(sent, kind="delay_notice", channel="console", status="sent") == 0
    assert moved("notifier_send_seconds_count", channel="console") == len(JOURNEY_AS_ONE_BATCH_SENT)
    # the review request waits in the backlog (due or not, depending on today's date)
    backlog = sum(value(after, "notifier_scheduled_backlog", due=due) for due in ("false", "true"))
    assert backlog >= 1
    assert value(after, "notifier_queue_depth") == 0


def test_a_rejected_events_type_label_takes_only_the_contracts_types(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime))
    before = scrape(client)
    for made_up in ("order.exploded", "x" * 30):
        client.post("/events", content=json.dumps(example("order_placed") | {"type": made_up}))
    after = scrape(client)
    rejected = "notifier_events_rejected_total"
    assert (
        value(after, rejected, type="unknown", field="type")
        - value(before, rejected, type="unknown", field="type")
        == 2
    )
    assert all(dict(labels).get("type") != "order.exploded" for _, labels in after)


def test_provider_errors_are_counted_by_code(live: Runtime, fake_twilio: object) -> None:
    from tests.fakes.twilio import FakeTwilio

    assert isinstance(fake_twilio, FakeTwilio)
    client = TestClient(create_app(live))
    before = scrape(client)
    fake_twilio.fail_for_numbers({"+525512345678": (400, 21211)})
    placed = example("order_placed")
    placed["customer"]["channels"] = ["sms", "email"]
    client.post("/events", content=json.dumps(placed).encode())
    after = scrape(client)
    name = "notifier_provider_errors_total"
    moved = value(after, name, channel="sms", code="21211") - value(
        before, name, channel="sms", code="21211"
    )
    assert moved == 1
