"""One-click unsubscribe (RFC 8058, CONTRACT §6): the header and the visible link of a marketing
email reach `/unsubscribe/{token}`, which takes the customer out of marketing at once."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

import notifier
from notifier.http.app import create_app
from notifier.store.db import session_scope
from notifier.store.models import Customer
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock, example
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.providers import PUBLIC_URL, provider_settings

MX = ZoneInfo("America/Mexico_City")
LINK = re.compile(re.escape(PUBLIC_URL) + r"/unsubscribe/([A-Za-z0-9_-]+)")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 10, 10, 0, tzinfo=MX))


@pytest.fixture
def shop(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path, clock: Clock
) -> Iterator[Runtime]:
    runtime = build_runtime(
        provider_settings(sqlite_url, fake_twilio, fake_smtp, policy_file),
        clock=clock, console=io.StringIO(),
    )  # fmt: skip
    yield runtime
    runtime.close()


def cart_event(clock: Clock, **consent: bool) -> dict[str, Any]:
    event: dict[str, Any] = example("cart_updated")
    event["occurred_at"] = clock.now.isoformat()
    event["customer"] |= {"channels": ["email"]}
    event["customer"]["consent"] |= consent
    return event


def reminded_by_email(shop: Runtime, clock: Clock, fake_smtp: FakeSmtp) -> Any:
    """Leave a cart, let the first reminder go: the email it sent."""
    notifier.publish(cart_event(clock), runtime=shop)
    clock.now += timedelta(hours=1, minutes=1)
    tick(shop, clock.now)
    [mail] = fake_smtp.messages
    return mail.message


def kinds(shop: Runtime, status: str) -> list[str]:
    return [r["kind"] for r in message_records(shop.db_url) if r["status"] == status]


def test_a_marketing_email_carries_the_one_click_header_and_a_visible_link(
    shop: Runtime, clock: Clock, fake_smtp: FakeSmtp
) -> None:
    mail = reminded_by_email(shop, clock, fake_smtp)
    header = LINK.fullmatch(str(mail["List-Unsubscribe"]).strip("<>"))
    assert header is not None, mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert f"Para no recibir más promociones:\n{header.group(0)}" in text
    assert f'href="{header.group(0)}"' in html and "Darte de baja de las promociones" in html
    assert "mailto:" not in str(mail["List-Unsubscribe"])


def test_one_click_unsubscribes_at_once_and_the_timeline_shows_it(
    shop: Runtime, clock: Clock, fake_smtp: FakeSmtp
) -> None:
    mail = reminded_by_email(shop, clock, fake_smtp)
    url = str(mail["List-Unsubscribe"]).strip("<>")
    client = TestClient(create_app(shop))
    assert kinds(shop, "scheduled") == ["cart_reminder_2"]

    page = client.get(url.removeprefix(PUBLIC_URL))  # a scanner opening it changes nothing
    assert page.status_code == 200 and "Darme de baja" in page.text
    assert kinds(shop, "scheduled") == ["cart_reminder_2"]

    answer = client.post(url.removeprefix(PUBLIC_URL), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "ya no te enviaremos promociones" in answer.text
    assert kinds(shop, "scheduled") == []
    [canceled] = [r for r in message_records(shop.db_url) if r["status"] == "canceled"]
    assert (canceled["kind"], canceled["canceled_by"]) == ("cart_reminder_2", "unsubscribe")
    [sent] = [r for r in message_records(shop.db_url) if r["kind"] == "cart_reminder_1"]
    assert sent["history"][-1]["outcome"] == "unsubscribed"
    with session_scope(shop.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and "marketing" in customer.opted_out
    assert client.post(url.removeprefix(PUBLIC_URL)).status_code == 200  # twice is once


def test_no_event_of_the_shop_undoes_the_unsubscribe(
    shop: Runtime, clock: Clock, fake_smtp: FakeSmtp
) -> None:
    mail = reminded_by_email(shop, clock, fake_smtp)
    client = TestClient(create_app(shop))
    client.post(str(mail["List-Unsubscribe"]).strip("<>").removeprefix(PUBLIC_URL))
    clock.now += timedelta(days=3)
    later = cart_event(clock, marketing=True) | {"event_id": "evt-cart-later"}
    later["cart"] |= {"id": "cart-78"}
    notifier.publish(later, runtime=shop)
    clock.now += timedelta(hours=1, minutes=1)
    tick(shop, clock.now)
    assert len(fake_smtp.messages) == 1
    [skipped] = [r for r in message_records(shop.db_url) if r["status"] == "skipped"]
    assert skipped["error"] == "the customer unsubscribed from marketing"


@pytest.mark.parametrize(
    ("token", "status"),
    [("A" * 32, 404), ("short", 422), ("has%20space" + "x" * 20, 422), ("x" * 65, 422)],
)
def test_an_unknown_or_malformed_token_changes_nothing(
    runtime: Runtime, token: str, status: int
) -> None:
    client = TestClient(create_app(runtime))
    assert client.post(f"/unsubscribe/{token}").status_code == status
    assert client.get(f"/unsubscribe/{token}").status_code == status
