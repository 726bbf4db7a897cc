"""Event validation: every contract example passes; every rejection names the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from notifier.contract.events import (
    EVENT_TYPES,
    parse_event,
    parse_event_object,
    parse_stored_event,
)
from notifier.errors import InvalidEvent
from tests.conftest import DATA, example

Mutation = Callable[[dict[str, Any]], None]


def rejected(mutate: Mutation, base: str = "order_placed") -> InvalidEvent:
    event = copy.deepcopy(example(base))
    mutate(event)
    with pytest.raises(InvalidEvent) as caught:
        parse_event_object(event)
    return caught.value


@pytest.mark.parametrize("path", sorted((DATA / "events").glob("*.json")), ids=lambda p: p.stem)
def test_every_contract_example_is_valid(path: Path) -> None:
    event = parse_event(path.read_bytes())
    assert event.type in EVENT_TYPES


def test_all_sixteen_event_types_are_known() -> None:
    assert len(EVENT_TYPES) == 16
    assert {"order.payment_pending", "order.paid", "cart.cleared"} <= set(EVENT_TYPES)


INVALID_CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown type", lambda e: e.update(type="order.teleported"), "type", "unknown event type"),
    ("missing order id", lambda e: e["order"].pop("id"), "order.id", "Field required"),
    ("phone without +", lambda e: e["customer"].update(phone="5512345678"), "customer.phone",
     "E.164"),
    ("phone with spaces", lambda e: e["customer"].update(phone="+52 55 1234 5678"),
     "customer.phone", "E.164"),
    ("impossible phone", lambda e: e["customer"].update(phone="+5212"), "customer.phone",
     "E.164"),
    ("no offset", lambda e: e.update(occurred_at="2026-11-10T21:00:00"), "occurred_at",
     "timezone"),
    ("count as string", lambda e: e["customer"].update(orders_count="3"),
     "customer.orders_count", "integer"),
    ("money as float", lambda e: e["order"].update(total=1299.5), "order.total",
     "decimal string"),
    ("consent not bool", lambda e: e["customer"]["consent"].update(sms="yes"),
     "customer.consent.sms", "boolean"),
    ("unknown channel", lambda e: e["customer"].update(channels=["pigeon"]),
     "customer.channels.0", "whatsapp"),
    ("unknown zone", lambda e: e["customer"].update(timezone="Mars/Olympus"),
     "customer.timezone", "time zone"),
    ("customer missing on placed", lambda e: e.pop("customer"), "customer", "required"),
    ("order missing", lambda e: e.pop("order"), "order", "required"),
    ("empty event id", lambda e: e.update(event_id=""), "event_id", "at least 1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_invalid_event_is_rejected_naming_the_field(
    mutate: Mutation, field: str, reason: str
) -> None:
    error = rejected(mutate)
    assert error.status == 422
    assert [p.field for p in error.problems] == [field]
    assert reason.lower() in error.problems[0].reason.lower()


def test_shipment_event_without_shipment_is_rejected() -> None:
    error = rejected(lambda e: e.pop("shipment"), base="shipment_delivered")
    assert [p.field for p in error.problems] == ["shipment"]


def test_bad_json_is_rejected_as_body_error() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(b'{"event_id": "x",')
    assert caught.value.problems[0].field == "(body)"
    assert "invalid JSON" in caught.value.problems[0].reason


def test_event_over_one_mebibyte_is_rejected_with_413() -> None:
    event = example("order_placed")
    event["order"]["notes"] = "x" * (1024 * 1024)
    with pytest.raises(InvalidEvent) as caught:
        parse_event(json.dumps(event))
    assert caught.value.status == 413


def test_unknown_extra_fields_are_tolerated() -> None:
    event = example("order_placed")
    event["order"]["gift_wrap"] = True
    assert parse_event_object(event).order_id == "ord-5001"


def test_several_problems_are_all_named() -> None:
    def break_two(e: dict[str, Any]) -> None:
        e["order"].pop("id")
        e["customer"]["phone"] = "123"

    fields = {p.field for p in rejected(break_two).problems}
    assert fields == {"order.id", "customer.phone"}


def test_a_stored_event_is_read_back_without_repeating_the_look_ups() -> None:
    """Accepted once, an event is read back as stored: a phone the numbering plan no longer
    knows (plans change) does not make its stored event unreadable."""
    stored = example("order_placed")
    stored["customer"]["phone"] = "+5212"  # as if valid when accepted
    with pytest.raises(InvalidEvent):
        parse_event_object(stored)
    event = parse_stored_event(stored)
    assert event.customer is not None and event.customer.phone == "+5212"
