"""The customer answers, the shop acts (CONTRACT §6): a WhatsApp tap or a numbered SMS reply
under a delay notice is one choice, acknowledged, told to the shop in a verified Standard
Webhook, carried out at (a fake) Shopify, and shown on the timeline; satisfaction scores and the
follow-up after a person helped. Everything over real HTTP (the API, Twilio's fake, the shop's
backend, Shopify's Admin API), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

import notifier
from notifier.care import handoffs
from notifier.http.app import create_app
from notifier.store.db import session_scope
from notifier.store.models import CustomerChoice
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import example
from tests.fakes.shop import SECRET, FakeShop
from tests.fakes.shopify_admin import FakeShopifyAdmin
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio, RecordedMessage, button_form, inbound_form, sign
from tests.providers import PUBLIC_URL, policy_text, provider_settings

ORDER = "shopify:450789469"
PHONE = "+525512345678"
WHATSAPP = "whatsapp:+5215512345678"  # how WhatsApp writes a Mexican mobile
BUTTONS = ["buttons.wait", "buttons.cancel", "buttons.person"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 13, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    with FakeShop() as fake:
        yield fake


@pytest.fixture
def shopify() -> Iterator[FakeShopifyAdmin]:
    with FakeShopifyAdmin() as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "postgres_url"
    )
    return url


@pytest.fixture
def runtime(
    database: str, tmp_path: Path, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp,
    shop: FakeShop, shopify: FakeShopifyAdmin, clock: Clock,
) -> Iterator[Runtime]:  # fmt: skip
    policy = tmp_path / "notifier.toml"
    policy.write_text(policy_text(variables={"delay_notice": BUTTONS}))
    settings = provider_settings(
        database, fake_twilio, fake_smtp, policy,
        shop_webhook_url=SecretStr(shop.url), shop_webhook_secret=SecretStr(SECRET),
        shopify_shop_domain="casa-lupita.myshopify.com",
        shopify_admin_token=SecretStr(shopify.token), shopify_base_url=shopify.base_url,
    )  # fmt: skip
    built = build_runtime(settings, clock=clock, console=io.StringIO())
    yield built
    built.close()


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime))


def publish(runtime: Runtime, name: str, channels: list[str] | None = None) -> None:
    event = example(name)
    event["order"]["id"] = ORDER
    if "customer" in event and channels is not None:
        event["customer"]["channels"] = channels
    notifier.publish(event, runtime=runtime)


def late_order(runtime: Runtime, channels: list[str]) -> dict[str, Any]:
    """An order placed and shipped, then held up by the weather: its delay notice."""
    for name in ("order_placed", "order_shipped", "shipment_exception"):
        publish(runtime, name, channels)
    [notice] = messages(runtime, "delay_notice")
    assert notice["status"] == "sent"
    return notice


def messages(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    return [r for r in message_records(runtime.db_url, order_id=ORDER) if r["kind"] == kind]


def post_inbound(client: TestClient, twilio: FakeTwilio, form: dict[str, str]) -> Any:
    path = "/webhooks/twilio/inbound"
    signature = sign(PUBLIC_URL + path, form, twilio.auth_token)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return response


def sent_to(twilio: FakeTwilio, sid: str) -> RecordedMessage:
    [message] = [m for m in twilio.messages if m.sid == sid]
    return message


def stored_choices(runtime: Runtime) -> list[tuple[str, str | None]]:
    with session_scope(runtime.db_url) as session:
        rows = session.query(CustomerChoice).order_by(CustomerChoice.id).all()
        return [(row.choice, row.shop_action) for row in rows]


def choice_webhooks(shop: FakeShop) -> list[dict[str, Any]]:
    return [payload for _, payload in shop.taken if payload["type"] == "customer.choice"]


def assert_canceled_once(
    runtime: Runtime, shop: FakeShop, shopify: FakeShopifyAdmin, notice_id: int
) -> None:
    [ack] = messages(runtime, "choice_ack")
    assert ack["status"] == "sent"
    [hook] = choice_webhooks(shop)
    assert hook["choice"] == "cancel" and hook["order_id"] == ORDER
    assert hook["message_id"] == notice_id and hook["customer_id"] == "cus-100"
    assert shop.unverified == 0
    [call] = shopify.calls
    assert call.order_id.endswith("/450789469") and call.refund
    assert stored_choices(runtime) == [("cancel", "done")]
    [notice] = messages(runtime, "delay_notice")
    chose = [h for h in notice["history"] if h.get("outcome") == "customer chose"]
    assert [h["choice"] for h in chose] == ["cancel"]


def test_a_whatsapp_tap_on_cancel_is_acknowledged_told_to_the_shop_and_done_once(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shop: FakeShop,
    shopify: FakeShopifyAdmin,
) -> None:  # fmt: skip
    notice = late_order(runtime, ["whatsapp"])
    carried = sent_to(fake_twilio, notice["provider_message_id"])
    assert carried.content_sid is not None and carried.content_variables is not None
    cancel_button = carried.content_variables["4"]  # after first name, number, wait
    tap = button_form(WHATSAPP, "Cancelar", cancel_button, notice["provider_message_id"])
    post_inbound(client, fake_twilio, tap)
    assert_canceled_once(runtime, shop, shopify, notice["id"])
    post_inbound(client, fake_twilio, tap)  # Twilio posts the same tap again
    assert_canceled_once(runtime, shop, shopify, notice["id"])


def test_a_button_id_not_signed_by_us_cancels_nothing(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shopify: FakeShopifyAdmin
) -> None:
    notice = late_order(runtime, ["whatsapp"])
    cancel_button = sent_to(fake_twilio, notice["provider_message_id"]).content_variables or {}
    forged = str(cancel_button["4"]).replace("cancel", "wait")[:-2] + "xx"
    post_inbound(client, fake_twilio, button_form(WHATSAPP, "Hola", forged, "SM" + "0" * 32))
    assert stored_choices(runtime) == [] and shopify.calls == []


def test_an_sms_reply_2_to_the_notice_does_the_same(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shop: FakeShop,
    shopify: FakeShopifyAdmin,
) -> None:  # fmt: skip
    notice = late_order(runtime, ["sms"])
    reply = inbound_form(PHONE, "2")
    post_inbound(client, fake_twilio, reply)
    assert_canceled_once(runtime, shop, shopify, notice["id"])
    post_inbound(client, fake_twilio, reply)
    assert_canceled_once(runtime, shop, shopify, notice["id"])
    post_inbound(client, fake_twilio, inbound_form(PHONE, "cancelar"))  # same choice, again
    assert_canceled_once(runtime, shop, shopify, notice["id"])


def test_a_2_with_no_open_choice_is_a_conversation_for_a_person(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio
) -> None:
    publish(runtime, "order_placed", ["sms"])
    post_inbound(client, fake_twilio, inbound_form(PHONE, "2"))
    assert [h["reason"] for h in handoffs.records(runtime.db_url)] == ["customer_message"]
    assert stored_choices(runtime) == []


def test_a_bare_cancelar_with_no_open_choice_gets_a_question_not_an_action(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shopify: FakeShopifyAdmin
) -> None:
    publish(runtime, "order_placed", ["sms"])
    answer = post_inbound(client, fake_twilio, inbound_form(PHONE, "CANCELAR"))
    assert "<Message>" in answer.text and "BAJA" in answer.text
    assert stored_choices(runtime) == [] and shopify.calls == []
    assert handoffs.records(runtime.db_url) == []


def delivered(runtime: Runtime) -> None:
    for name in ("order_placed", "order_shipped", "shipment_delivered"):
        publish(runtime, name, ["sms"])
    [survey] = messages(runtime, "order_delivered")
    assert survey["status"] == "sent"


def test_a_score_of_2_opens_a_priority_handoff_and_reaches_the_shop(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shop: FakeShop
) -> None:
    delivered(runtime)
    post_inbound(client, fake_twilio, inbound_form(PHONE, "2"))
    [handoff] = handoffs.records(runtime.db_url)
    assert handoff["priority"] and handoff["reason"] == "low_satisfaction"
    assert handoff["orders"][0]["id"] == ORDER  # the order and our messages attached
    assert handoff["last_messages"][0]["kind"] == "order_delivered"
    assert [hook["choice"] for hook in choice_webhooks(shop)] == ["csat_2"]
    [ack] = messages(runtime, "choice_ack")
    assert ack["status"] == "sent"


def test_a_score_of_5_opens_no_handoff(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shop: FakeShop
) -> None:
    delivered(runtime)
    post_inbound(client, fake_twilio, inbound_form(PHONE, "5"))
    assert handoffs.records(runtime.db_url) == []
    assert [hook["choice"] for hook in choice_webhooks(shop)] == ["csat_5"]
    with session_scope(runtime.db_url) as session:
        assert [row.score for row in session.query(CustomerChoice)] == [5]


def test_closing_a_handoff_asks_a_day_later_and_a_no_reopens_it_with_priority(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, clock: Clock
) -> None:
    opened = closed_handoff(runtime, client, fake_twilio)
    clock.now += timedelta(hours=23)
    tick(runtime)
    assert [f["status"] for f in followups(runtime)] == ["scheduled"]
    clock.now += timedelta(hours=1, minutes=1)
    tick(runtime)
    [followup] = followups(runtime)
    assert followup["status"] == "sent"
    post_inbound(client, fake_twilio, inbound_form(PHONE, "No"))
    [reopened] = handoffs.records(runtime.db_url)
    assert reopened["id"] == opened["id"]
    assert reopened["status"] == "open" and reopened["priority"]


def test_a_no_answers_the_follow_up_even_when_a_delay_notice_went_out_with_it(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, clock: Clock
) -> None:
    opened = closed_handoff(runtime, client, fake_twilio)
    clock.now += timedelta(hours=24, minutes=1)
    tick(runtime)  # the follow-up and the notice that the order is late, in one tick
    assert [m["status"] for m in messages(runtime, "delay_notice")] == ["sent"]
    assert [f["status"] for f in followups(runtime)] == ["sent"]
    post_inbound(client, fake_twilio, inbound_form(PHONE, "No"))
    [reopened] = handoffs.records(runtime.db_url)
    assert reopened["id"] == opened["id"] and reopened["priority"]


def closed_handoff(runtime: Runtime, client: TestClient, twilio: FakeTwilio) -> dict[str, Any]:
    """A customer with an order writes in; a person answers and closes the conversation."""
    publish(runtime, "order_placed", ["sms"])
    post_inbound(client, twilio, inbound_form(PHONE, "¿Dónde está mi pedido?"))
    [opened] = handoffs.records(runtime.db_url)
    handoffs.close(runtime, opened["id"])
    return opened


def followups(runtime: Runtime) -> list[dict[str, Any]]:
    return [r for r in message_records(runtime.db_url, customer_id="cus-100")
            if r["kind"] == "handoff_followup"]  # fmt: skip


def test_an_email_link_asks_first_and_its_confirmation_cancels_once(
    runtime: Runtime, client: TestClient, shop: FakeShop, shopify: FakeShopifyAdmin
) -> None:
    notice = late_order(runtime, ["email"])
    links = re.findall(re.escape(PUBLIC_URL) + r"(/choices/[A-Za-z0-9_.-]+)", notice["body"])
    assert len(links) == 3  # wait, cancel, person, in that order
    cancel = links[1]
    page = client.get(cancel)
    assert page.status_code == 200 and "<form" in page.text and 'method="post"' in page.text
    assert stored_choices(runtime) == [] and shopify.calls == []  # a GET takes nothing
    assert client.post(cancel).status_code == 200
    assert_canceled_once(runtime, shop, shopify, notice["id"])
    assert client.post(cancel).status_code == 200  # a second confirmation changes nothing
    assert_canceled_once(runtime, shop, shopify, notice["id"])


def test_a_link_not_signed_by_us_is_404(runtime: Runtime, client: TestClient) -> None:
    notice = late_order(runtime, ["email"])
    [link, *_] = re.findall(r"/choices/([A-Za-z0-9_.-]+)", notice["body"])
    assert client.get(f"/choices/{link[:-3]}abc").status_code == 404
    assert client.post(f"/choices/{link[:-3]}abc").status_code == 404
    assert stored_choices(runtime) == []


def test_a_shopify_outage_is_tried_again_after_its_backoff(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shopify: FakeShopifyAdmin,
    clock: Clock,
) -> None:  # fmt: skip
    late_order(runtime, ["sms"])
    shopify.fail_next(503)
    post_inbound(client, fake_twilio, inbound_form(PHONE, "2"))
    assert stored_choices(runtime) == [("cancel", "pending")] and shopify.calls == []
    tick(runtime)  # not due yet: 30 s after the failure
    assert shopify.requests == 1
    clock.now += timedelta(seconds=31)
    tick(runtime)
    assert stored_choices(runtime) == [("cancel", "done")] and len(shopify.calls) == 1
    tick(runtime)
    assert shopify.requests == 2


def test_a_cancel_shopify_refuses_puts_a_person_on_it(
    runtime: Runtime, client: TestClient, fake_twilio: FakeTwilio, shopify: FakeShopifyAdmin
) -> None:
    late_order(runtime, ["sms"])
    shopify.refuse("gid://shopify/Order/450789469", "Order has been fulfilled")
    post_inbound(client, fake_twilio, inbound_form(PHONE, "2"))
    assert stored_choices(runtime) == [("cancel", "refused")]
    [handoff] = handoffs.records(runtime.db_url)
    assert handoff["priority"] and handoff["reason"] == "cancel_not_done"
    assert "Order has been fulfilled" in handoff["messages"][-1]["note"]
