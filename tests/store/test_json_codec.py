"""JSON columns through orjson lose nothing: a shop's integer beyond 64 bits comes back exact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from notifier.intake.ingest import store_and_enqueue, validate
from notifier.store import json_codec, many
from notifier.store.db import session_scope
from notifier.store.models import Event
from notifier.workers.runtime import build_runtime
from tests.conftest import example, settings_for
from tests.pipeline.test_pipeline import HoldingDispatcher

HUGE = 123456789012345678901234567890


def test_a_document_with_an_integer_beyond_64_bits_reads_back_exact() -> None:
    document = {"shop_ref": HUGE, "name": "Ana Pérez"}

    assert json_codec.loads(json_codec.dumps(document)) == document
    assert json_codec.loads(json_codec.dumps(document).encode()) == document


def test_other_documents_read_as_the_standard_library_reads_them() -> None:
    text = '{"a": [1, 2.5, null, true], "b": "Jo\\u00e3o", "c": {"d": -9223372036854775808}}'

    assert json_codec.loads(text) == json.loads(text)


def test_rows_as_one_parameter_write_datetimes_in_utc_and_refuse_naive_ones() -> None:
    local = datetime(2026, 12, 1, 10, 0, tzinfo=UTC).astimezone()

    assert json.loads(many.as_json([{"at": local}])) == [{"at": "2026-12-01T10:00:00+00:00"}]
    with pytest.raises(ValueError, match="naive datetime"):
        many.as_json([{"at": datetime(2026, 12, 1, 10, 0)}])


@pytest.mark.parametrize("database", ["sqlite_url", "postgres_url"])
def test_a_stored_event_keeps_its_long_integers(
    database: str, request: pytest.FixtureRequest
) -> None:
    runtime = build_runtime(settings_for(request.getfixturevalue(database)))
    runtime.dispatcher = HoldingDispatcher()
    event: dict[str, Any] = example("order_placed") | {"shop_ref": HUGE}

    store_and_enqueue(runtime, [validate(event)])

    with session_scope(runtime.db_url) as session:
        payload = session.scalars(select(Event.payload)).one()
    assert payload["shop_ref"] == HUGE
    assert payload["customer"] == event["customer"]
