"""Structured logs: JSON lines carrying the event, order and message ids, personal data masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import notifier
from notifier.logs import JsonFormatter, log_context
from notifier.workers.runtime import Runtime
from tests.conftest import example


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log line of the notifier's loggers, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("notifier")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_with_a_phone_and_an_email_shows_them_masked(json_lines: io.StringIO) -> None:
    with log_context(event_id="evt-1", order_id="ord-1", message_id=7):
        logging.getLogger("notifier.test").warning(
            "could not reach %s or %s", "+525512345678", "ana.perez@example.com"
        )
    [line] = lines(json_lines)
    assert line["message"] == "could not reach +52******5678 or a***@example.com"
    assert (line["event_id"], line["order_id"], line["message_id"]) == ("evt-1", "ord-1", 7)
    assert line["level"] == "warning" and line["logger"] == "notifier.test"


def test_every_line_of_a_delivery_names_its_event_order_and_message(
    runtime: Runtime, json_lines: io.StringIO
) -> None:
    notifier.publish(example("order_placed"), runtime=runtime)
    [sent] = [line for line in lines(json_lines) if line["message"].startswith("sent ")]
    assert sent["event_id"] == "evt-0001"
    assert sent["order_id"] == "ord-5001"
    assert isinstance(sent["message_id"], int)
    assert "+525512345678" not in json_lines.getvalue()


def test_lines_outside_any_work_carry_empty_ids(json_lines: io.StringIO) -> None:
    logging.getLogger("notifier.test").warning("starting")
    [line] = lines(json_lines)
    assert (line["event_id"], line["order_id"], line["message_id"]) == (None, None, None)
