"""Structured logs: JSON lines carrying the event, order and message ids, personal data masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import notifier
from notifier.logs import (
    QUIET_LIBRARIES,
    JsonFormatter,
    configure_logging,
    hide_secrets,
    log_context,
)
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


@pytest.fixture
def root_lines() -> Iterator[io.StringIO]:
    """Every line that reaches the root logger, after configure_logging, as in production."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    root.handlers = [logging.StreamHandler(stream)]
    configure_logging(logging.INFO)
    yield stream
    root.handlers, root.level = saved[0], saved[1]
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_uvicorns_access_line_hides_a_token_in_the_address(root_lines: io.StringIO) -> None:
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                "/ops?token=0ps-t0ken-value&id=ord-1", "1.1", 303)  # fmt: skip
    [line] = lines(root_lines)
    assert "0ps-t0ken-value" not in line["message"]
    assert "/ops?token=***&id=ord-1" in line["message"] and line["logger"] == "uvicorn.access"


def test_url_encoded_numbers_bearer_tokens_and_url_passwords_are_masked(
    root_lines: io.StringIO,
) -> None:
    logging.getLogger("dramatiq.worker").warning(
        "GET %s with Bearer abc.def-123 to %s",
        "/Messages.json?To=whatsapp%3A%2B5215512345678",
        "postgresql+psycopg://notifier:hunter2-pw@db:5432/notifier",
    )
    [line] = lines(root_lines)
    assert "5215512345678" not in line["message"] and "%2B52*******5678" in line["message"]
    assert "abc.def-123" not in line["message"] and "Bearer ***" in line["message"]
    assert "hunter2-pw" not in line["message"] and "notifier:***@db" in line["message"]


def test_a_configured_secret_is_hidden_wherever_it_appears(root_lines: io.StringIO) -> None:
    hide_secrets(["a-very-secret-value", "tiny"])
    logging.getLogger("dramatiq").warning("failed with a-very-secret-value in it (tiny)")
    [line] = lines(root_lines)
    assert line["message"] == "failed with *** in it (tiny)"


def test_twilios_request_lines_are_quiet(root_lines: io.StringIO) -> None:
    twilio = logging.getLogger("twilio.http_client")
    twilio.info("-- BEGIN Twilio API Request --")
    twilio.info("PAYLOAD: {'To': '+5215512345678', 'Body': 'Tu cupón PERDON-7Q2'}")
    twilio.warning("retrying after 503")
    assert [line["message"] for line in lines(root_lines)] == ["retrying after 503"]
