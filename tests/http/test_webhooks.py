"""Twilio's webhooks: signed status callbacks and inbound messages (STOP, START, HELP, window)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

import notifier
from notifier.http.app import create_app
from notifier.store.db import session_scope
from notifier.store.models import Customer
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime
from tests.conftest import example
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio, inbound_form, sign, status_callback_form
from tests.providers import PUBLIC_URL

PHONE = "+525512345678"


@pytest.fixture
def client(live: Runtime) -> TestClient:
    return TestClient(create_app(live))


def post_signed(client: TestClient, twilio: FakeTwilio, path: str, form: dict[str, str]) -> Any:
    signature = sign(PUBLIC_URL + path, form, twilio.auth_token)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def publish_placed(live: Runtime, **customer: Any) -> dict[str, Any]:
    event = example("order_placed")
    event["customer"].update(customer)
    notifier.publish(event, runtime=live)
    [record] = message_records(live.db_url, order_id="ord-5001")
    return record


def status_of(live: Runtime) -> str:
    return str(message_records(live.db_url, order_id="ord-5001")[0]["status"])


def test_delivered_callback_moves_the_message_forward(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio
) -> None:
    record = publish_placed(live)
    form = status_callback_form(record["provider_message_id"], "delivered")
    assert post_signed(client, fake_twilio, "/webhooks/twilio/status", form).status_code == 204
    assert status_of(live) == "delivered"
    late = status_callback_form(record["provider_message_id"], "sent")
    post_signed(client, fake_twilio, "/webhooks/twilio/status", late)
    assert status_of(live) == "delivered"  # never backwards


def test_callback_with_a_bad_signature_is_403_and_changes_nothing(
    live: Runtime, client: TestClient
) -> None:
    record = publish_placed(live)
    form = status_callback_form(record["provider_message_id"], "delivered")
    bad = client.post(
        "/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": "bm9wZQ=="}
    )
    missing = client.post("/webhooks/twilio/status", data=form)
    assert (bad.status_code, missing.status_code) == (403, 403)
    assert status_of(live) == "sent"


def test_async_30007_hands_the_message_to_the_next_channel(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp
) -> None:
    record = publish_placed(live, channels=["sms", "email"])
    assert record["channel"] == "sms"
    form = status_callback_form(record["provider_message_id"], "undelivered", error_code=30007)
    post_signed(client, fake_twilio, "/webhooks/twilio/status", form)
    [after] = message_records(live.db_url, order_id="ord-5001")
    assert (after["channel"], after["status"]) == ("email", "sent")
    assert len(fake_smtp.messages) == 1
    assert [h["outcome"] for h in after["history"]] == ["sent", "failed", "sent"]


def test_undelivered_without_a_fallback_code_is_failed_with_the_code(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio
) -> None:
    record = publish_placed(live)
    form = status_callback_form(record["provider_message_id"], "failed", error_code=30008)
    post_signed(client, fake_twilio, "/webhooks/twilio/status", form)
    [after] = message_records(live.db_url, order_id="ord-5001")
    assert after["status"] == "failed"
    assert "30008" in after["error"]


@pytest.mark.parametrize("word", ["STOP", "baja", "Parar.", "SAIR", "stopall", "Quit"])
def test_inbound_stop_word_stops_further_sms(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, word: str
) -> None:
    publish_placed(live, channels=["sms", "email"])
    response = post_signed(
        client, fake_twilio, "/webhooks/twilio/inbound", inbound_form(PHONE, word)
    )
    assert response.status_code == 200
    assert "<Message>" in response.text  # the confirmation, in the customer's language
    fake_twilio.reset()
    notifier.publish(example("order_shipped") | {"customer": {"id": "cus-100"}}, runtime=live)
    assert fake_twilio.attempts == []
    assert len(fake_smtp.messages) == 1


def test_inbound_start_after_stop_allows_sms_again(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio
) -> None:
    publish_placed(live, channels=["sms", "email"])
    post_signed(client, fake_twilio, "/webhooks/twilio/inbound", inbound_form(PHONE, "STOP"))
    post_signed(client, fake_twilio, "/webhooks/twilio/inbound", inbound_form(PHONE, "START"))
    with session_scope(live.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and customer.opted_out == []


def test_inbound_help_answers_in_the_customer_language(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio
) -> None:
    publish_placed(live)
    response = post_signed(
        client, fake_twilio, "/webhooks/twilio/inbound", inbound_form(PHONE, "ayuda")
    )
    assert "Responde BAJA" in response.text


def test_inbound_whatsapp_opens_the_window_for_free_text(
    live: Runtime, client: TestClient, fake_twilio: FakeTwilio
) -> None:
    publish_placed(live)
    form = inbound_form(f"whatsapp:{PHONE}", "hola, una pregunta")
    assert post_signed(client, fake_twilio, "/webhooks/twilio/inbound", form).status_code == 200
    notifier.publish(example("order_shipped"), runtime=live)
    shipped = fake_twilio.messages[-1]
    assert shipped.content_sid is None
    assert shipped.body and "EST123456789MX" in shipped.body


def test_inbound_with_a_bad_signature_is_403_and_changes_nothing(
    live: Runtime, client: TestClient
) -> None:
    publish_placed(live, channels=["sms", "email"])
    response = client.post(
        "/webhooks/twilio/inbound",
        data=inbound_form(PHONE, "STOP"),
        headers={"X-Twilio-Signature": "bm9wZQ=="},
    )
    assert response.status_code == 403
    with session_scope(live.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and customer.opted_out == []
