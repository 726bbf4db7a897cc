"""A person when it matters: a customer's own words become a handoff (forwarded to support,
acknowledged, holding marketing until closed); a VIP's delay becomes a priority one."""

from __future__ import annotations

import io
import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

import notifier
from notifier.care import handoffs
from notifier.care.inbound import handle_inbound
from notifier.http.app import create_app
from notifier.store.db import session_scope
from notifier.store.handoffs import HELD
from notifier.store.models import SupportForward
from notifier.store.timeline import message_records
from notifier.vocabulary import ForwardStatus
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import (
    Clock,
    WorkerStarter,
    answers,
    app_env,
    example,
    notifier_command,
    settings_for,
    stop,
    wait_until,
)
from tests.fakes.smtp import FakeSmtp, free_port
from tests.fakes.support import FakeSupportWebhook
from tests.fakes.twilio import FakeTwilio, inbound_form, sign
from tests.providers import PUBLIC_URL, provider_env, provider_settings

MX = ZoneInfo("America/Mexico_City")
PHONE = "+525512345678"
OPS = "ops-t0ken"
QUESTION = "¿dónde está mi pedido?"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 10, 10, 0, tzinfo=MX))


@pytest.fixture
def support() -> Iterator[FakeSupportWebhook]:
    with FakeSupportWebhook() as webhook:
        yield webhook


@pytest.fixture
def desk(
    sqlite_url: str,
    fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp,
    policy_file: Path,
    support: FakeSupportWebhook,
    clock: Clock,
) -> Iterator[Runtime]:
    """The embedded mode sending through the fakes, with a support webhook and inbox."""
    settings = provider_settings(
        sqlite_url, fake_twilio, fake_smtp, policy_file,
        support_webhook_url=SecretStr(support.url), support_email="soporte@shop.example.com",
        ops_token=SecretStr(OPS),
    )  # fmt: skip
    runtime = build_runtime(settings, clock=clock, console=io.StringIO())
    yield runtime
    runtime.close()


@pytest.fixture
def client(desk: Runtime) -> TestClient:
    return TestClient(create_app(desk), headers={"Authorization": f"Bearer {OPS}"})


def customer(**changes: Any) -> dict[str, Any]:
    person: dict[str, Any] = example("order_placed")["customer"]
    return person | {"channels": ["sms", "email"]} | changes


def publish(runtime: Runtime, clock: Clock, event: dict[str, Any]) -> None:
    event["occurred_at"] = clock.now.isoformat()
    notifier.publish(event, runtime=runtime)


def place_order(runtime: Runtime, clock: Clock, **who: Any) -> None:
    publish(runtime, clock, example("order_placed") | {"customer": customer(**who)})


def write_in(client: TestClient, twilio: FakeTwilio, text: str, sid: str | None = None) -> Any:
    form = inbound_form(PHONE, text, message_sid=sid)
    path = "/webhooks/twilio/inbound"
    signature = sign(PUBLIC_URL + path, form, twilio.auth_token)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def records(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    return [r for r in message_records(runtime.db_url, customer_id="cus-100") if r["kind"] == kind]


def forwards(runtime: Runtime) -> list[tuple[str, ForwardStatus]]:
    with session_scope(runtime.db_url) as session:
        rows = session.query(SupportForward).order_by(SupportForward.id).all()
        return [(row.target, row.status) for row in rows]


def test_a_free_text_reply_goes_to_a_person_is_acknowledged_and_holds_the_cart_reminder(
    desk: Runtime, client: TestClient, fake_twilio: FakeTwilio, support: FakeSupportWebhook,
    fake_smtp: FakeSmtp, clock: Clock,
) -> None:  # fmt: skip
    place_order(desk, clock)
    clock.now += timedelta(minutes=5)
    publish(desk, clock, example("cart_updated") | {"customer": customer()})
    clock.now += timedelta(minutes=25)
    fake_twilio.reset()

    response = write_in(client, fake_twilio, QUESTION)

    assert response.status_code == 200
    assert "<Message>" not in response.text  # a person answers, not a robot
    [handoff] = support.received
    assert handoff["messages"][0]["text"] == QUESTION
    assert handoff["orders"][0]["id"] == "ord-5001"
    assert handoff["last_messages"][0]["kind"] == "order_confirmed"
    assert "MX-5001" in handoff["last_messages"][0]["body"]
    assert support.headers[0]["Idempotency-Key"] == f"handoff-{handoff['id']}-1"
    [ack] = [m for m in fake_twilio.messages if m.to == PHONE]
    assert ack.body is not None and "1 hora" in ack.body
    [mail] = fake_smtp.messages
    assert mail.rcpt_tos == ("soporte@shop.example.com",)
    assert QUESTION in mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    clock.now += timedelta(hours=1)
    tick(desk, clock.now)
    [reminder] = records(desk, "cart_reminder_1")
    assert (reminder["status"], reminder["error"]) == ("scheduled", HELD)

    closed = client.post(f"/handoffs/{handoff['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    tick(desk, clock.now)
    assert records(desk, "cart_reminder_1")[0]["status"] == "sent"


def test_a_second_message_joins_the_open_handoff_and_is_not_acknowledged_again(
    desk: Runtime, client: TestClient, fake_twilio: FakeTwilio, support: FakeSupportWebhook,
    clock: Clock,
) -> None:  # fmt: skip
    place_order(desk, clock)
    write_in(client, fake_twilio, QUESTION, sid="SM" + "1" * 32)
    write_in(client, fake_twilio, "sigo esperando", sid="SM" + "2" * 32)
    write_in(client, fake_twilio, "sigo esperando", sid="SM" + "2" * 32)  # Twilio posts again

    [open_one] = handoffs.records(desk.db_url)
    assert [m["text"] for m in open_one["messages"]] == [QUESTION, "sigo esperando"]
    assert [len(h["messages"]) for h in support.received] == [1, 2]
    assert len(records(desk, "handoff_ack")) == 1


def test_keywords_keep_their_meaning_and_open_no_handoff(
    desk: Runtime, client: TestClient, fake_twilio: FakeTwilio, support: FakeSupportWebhook,
    clock: Clock,
) -> None:  # fmt: skip
    place_order(desk, clock)
    for word in ("AYUDA", "STOP", "START"):
        assert write_in(client, fake_twilio, word).status_code == 200
    assert handoffs.records(desk.db_url) == []
    assert support.received == []


def test_out_of_hours_the_acknowledgement_names_the_next_morning(
    desk: Runtime, client: TestClient, fake_twilio: FakeTwilio, clock: Clock
) -> None:
    place_order(desk, clock)
    clock.now = datetime(2026, 11, 10, 22, 30, tzinfo=MX)
    fake_twilio.reset()
    write_in(client, fake_twilio, QUESTION)
    [ack] = [m for m in fake_twilio.messages if m.to == PHONE]
    assert ack.body is not None and "miércoles 11 de noviembre a las 10:00 a.m." in ack.body


def test_a_failing_support_webhook_is_retried_by_the_scheduler_until_it_answers(
    desk: Runtime, client: TestClient, fake_twilio: FakeTwilio, support: FakeSupportWebhook,
    clock: Clock,
) -> None:  # fmt: skip
    place_order(desk, clock)
    support.fail_next(2, 503)
    write_in(client, fake_twilio, QUESTION)
    assert support.received == [] and ("webhook", ForwardStatus.PENDING) in forwards(desk)

    clock.now += timedelta(seconds=31)
    tick(desk, clock.now)  # second attempt: 503 again, next in a minute
    assert support.refused == 2 and support.received == []
    tick(desk, clock.now)  # not due yet: nothing
    assert support.refused == 2

    clock.now += timedelta(seconds=61)
    tick(desk, clock.now)
    assert len(support.received) == 1
    assert ("webhook", ForwardStatus.SENT) in forwards(desk)


def test_a_vip_customers_delay_opens_a_priority_handoff_without_an_ack(
    desk: Runtime, support: FakeSupportWebhook, clock: Clock
) -> None:
    place_order(desk, clock, orders_count=7)
    publish(desk, clock, example("shipment_exception"))
    publish(desk, clock, example("shipment_exception") | {"event_id": "evt-again"})

    [vip] = handoffs.records(desk.db_url, only_open=True)
    assert (vip["priority"], vip["reason"]) == (True, "vip_delay")
    assert len(vip["messages"]) == 1 and "ord-5001" in vip["messages"][0]["note"]
    assert records(desk, "handoff_ack") == []
    tick(desk, clock.now)  # forwarded at the scheduler's pass
    assert [h["priority"] for h in support.received] == [True]


def test_a_customer_who_is_not_vip_gets_the_notice_and_no_handoff(
    desk: Runtime, clock: Clock
) -> None:
    place_order(desk, clock, orders_count=2)
    publish(desk, clock, example("shipment_exception"))
    assert records(desk, "delay_notice")[0]["status"] == "sent"
    assert handoffs.records(desk.db_url) == []


def test_handoffs_need_the_ops_token(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> None:
    settings = provider_settings(
        sqlite_url, fake_twilio, fake_smtp, policy_file, ops_token=SecretStr("t0ken")
    )
    client = TestClient(create_app(build_runtime(settings, console=io.StringIO())))
    assert client.get("/handoffs").status_code == 401
    answer = client.get("/handoffs", headers={"Authorization": "Bearer t0ken"})
    assert answer.status_code == 200 and answer.json() == []
    assert (
        client.post("/handoffs/9/close", headers={"Authorization": "Bearer t0ken"}).status_code
        == 404
    )
    assert client.post("/handoffs/9/close").status_code == 401
    huge = client.post(f"/handoffs/{2**70}/close", headers={"Authorization": "Bearer t0ken"})
    assert huge.status_code == 422  # an id no row can have, not an integer overflow


def test_the_cli_lists_open_handoffs_and_closes_one(desk: Runtime, clock: Clock) -> None:
    place_order(desk, clock)
    handoff_id = handoffs.receive(desk, "sms", PHONE, QUESTION, "cus-100")
    env = app_env(desk.db_url, "memory://")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = notifier_command("handoffs", *args)
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    listed = run("--open", "--json")
    assert [h["id"] for h in json.loads(listed.stdout)] == [handoff_id]
    assert QUESTION in run().stdout
    assert run("close", str(handoff_id)).stdout.strip() == f"handoff {handoff_id} is closed"
    assert json.loads(run("--open", "--json").stdout) == []
    assert run("close", "999").returncode == 1


def test_the_ops_page_shows_open_handoffs_and_closes_them(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path, clock: Clock
) -> None:
    settings = provider_settings(
        sqlite_url, fake_twilio, fake_smtp, policy_file, ops_token=SecretStr("t0ken")
    )
    runtime = build_runtime(settings, clock=clock, console=io.StringIO())
    place_order(runtime, clock)
    handoff_id = handoffs.receive(runtime, "sms", PHONE, QUESTION, "cus-100")
    # NOTIFIER_PUBLIC_URL is https: the session cookie is Secure, sent over https only
    client = TestClient(create_app(runtime), base_url="https://testserver")
    assert client.get("/ops/handoffs").status_code == 401
    page = client.get("/ops/handoffs?token=t0ken")
    assert QUESTION in page.text and "MX-5001" in page.text and "Close" in page.text
    [csrf] = re.findall(r'name="csrf" value="([^"]+)"', page.text)[-1:]
    forged = client.post(f"/ops/handoffs/{handoff_id}/close", follow_redirects=False)
    assert forged.status_code == 403 and handoffs.records(runtime.db_url, only_open=True)
    closed = client.post(
        f"/ops/handoffs/{handoff_id}/close", data={"csrf": csrf}, follow_redirects=False
    )
    assert closed.status_code == 303
    assert handoffs.records(runtime.db_url, only_open=True) == []
    assert client.post("/ops/handoffs/999/close", data={"csrf": csrf}).status_code == 404


def test_a_reply_to_a_running_notifier_api_reaches_the_support_webhook(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path,
    support: FakeSupportWebhook,
) -> None:  # fmt: skip
    settings = provider_settings(sqlite_url, fake_twilio, fake_smtp, policy_file)
    env = app_env(sqlite_url, "memory://", **provider_env(settings),
                  NOTIFIER_SUPPORT_WEBHOOK_URL=support.url)  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(notifier_command("api", "--port", str(port)), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: answers(f"{base}/healthz"), what="the API to start")
        order = example("order_placed") | {"customer": customer()}
        post(f"{base}/events", json.dumps(order).encode(), "application/json")
        form = inbound_form(PHONE, QUESTION)
        path = "/webhooks/twilio/inbound"
        signature = sign(PUBLIC_URL + path, form, fake_twilio.auth_token)
        status = post(base + path, urlencode(form).encode(), "application/x-www-form-urlencoded",
                      {"X-Twilio-Signature": signature})  # fmt: skip
        assert status == 200
        [handoff] = support.received
        assert handoff["orders"][0]["number"] == "MX-5001"
        acks = [m for m in fake_twilio.messages if (m.body or "").startswith("Recibimos tu")]
        assert [ack.to for ack in acks] == [PHONE]
    finally:
        stop(server)


def post(url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


@pytest.mark.slow
def test_a_worker_on_redis_forwards_the_handoff_and_sends_the_ack(
    postgres_url: str, redis_url: str, start_worker: WorkerStarter, support: FakeSupportWebhook
) -> None:
    start_worker({"NOTIFIER_SUPPORT_WEBHOOK_URL": support.url})
    producer = build_runtime(settings_for(postgres_url, broker_url=redis_url))
    notifier.publish(example("order_placed") | {"customer": customer()}, runtime=producer)
    wait_until(lambda: bool(records(producer, "order_confirmed")), what="the order handled")

    assert handle_inbound(producer, PHONE, QUESTION, "SM" + "3" * 32) is None

    wait_until(lambda: len(support.received) == 1, what="the handoff at the support webhook")
    assert support.received[0]["orders"][0]["id"] == "ord-5001"

    def acknowledged() -> bool:
        return [r["status"] for r in records(producer, "handoff_ack")] == ["sent"]

    wait_until(acknowledged, what="the acknowledgement sent")
