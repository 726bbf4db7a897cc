"""Short links with clicks (CONTRACT §6): with `short_links` on and a public URL, an SMS's and
a WhatsApp message's links go out as `{public_url}/r/{code}`; `GET /r/{code}` redirects to the
link and counts the click against its message, in the report and on the timeline. Through
the fake Twilio over HTTP, on SQLite and PostgreSQL."""

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
from pydantic import SecretStr

import notifier
from notifier.http.app import create_app
from notifier.messages.segments import count_segments
from notifier.store.db import session_scope
from notifier.store.models import ShortLink
from notifier.store.period import Period
from notifier.store.report import report_over
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import Clock, example
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.providers import PUBLIC_URL, policy_text, provider_settings

MX = ZoneInfo("America/Mexico_City")
SHORT = re.compile(re.escape(PUBLIC_URL) + r"/r/([A-Za-z0-9_-]{8})(?![A-Za-z0-9_-])")
TRACKING = "https://track.example.com/EST123456789MX?lang=es&utm_source=notifier"
PHONE = "+525512345678"
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
OPS = "ops-token-for-short-links"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 11, 11, 0, tzinfo=MX))


def shop_on(
    url: str, twilio: FakeTwilio, smtp: FakeSmtp, tmp_path: Path, clock: Clock, **policy: Any
) -> Runtime:
    path = tmp_path / "notifier.toml"
    lines = [f"short_links = {str(policy.pop('short_links', True)).lower()}"]
    path.write_text("\n".join(lines) + "\n" + policy_text(**policy))
    settings = provider_settings(url, twilio, smtp, path, ops_token=SecretStr(OPS))
    return build_runtime(settings, clock=clock, console=io.StringIO())


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(
    request: pytest.FixtureRequest, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp,
    tmp_path: Path, clock: Clock,
) -> Iterator[Runtime]:  # fmt: skip
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    variables = {"order_shipped": ["shipment.tracking_url"]}
    runtime = shop_on(url, fake_twilio, fake_smtp, tmp_path, clock, variables=variables)
    yield runtime
    runtime.close()


def ship(runtime: Runtime, clock: Clock, channels: list[str], tracking: str = TRACKING) -> None:
    """Ana's order, placed and shipped, on these channels."""
    for name in ("order_placed", "order_shipped"):
        event = example(name)
        event["customer"]["channels"] = channels
        event["occurred_at"] = clock.now.isoformat()
        if name == "order_shipped":
            event["shipment"]["tracking_url"] = tracking
        notifier.publish(event, runtime=runtime)
        clock.now += timedelta(minutes=5)


def shipped_sms(twilio: FakeTwilio) -> str:
    bodies = [m.body or "" for m in twilio.accepted_to(PHONE)]
    [body] = [b for b in bodies if "camino" in b]
    return body


def plain_text(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


def follow(client: TestClient, code: str, agent: str = BROWSER) -> Any:
    return client.get(f"/r/{code}", headers={"User-Agent": agent}, follow_redirects=False)


def shipped_row(runtime: Runtime, clock: Clock) -> dict[str, Any]:
    period = Period(clock.now - timedelta(days=1), clock.now + timedelta(days=1))
    report = report_over(runtime.db_url, runtime.policy, period)
    [row] = [r for r in report["messages"] if (r["kind"], r["channel"]) == ("order_shipped", "sms")]
    return report | {"row": row}


def test_a_short_link_in_a_sent_sms_redirects_and_its_click_shows_in_the_report(
    shop: Runtime, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    ship(shop, clock, ["sms"])
    body = shipped_sms(fake_twilio)
    assert TRACKING not in body and "track.example.com" not in body, body
    [code] = SHORT.findall(body)
    client = TestClient(create_app(shop))
    answer = follow(client, code)
    assert answer.status_code == 302 and answer.headers["location"] == TRACKING
    assert answer.headers["cache-control"] == "no-store"
    clock.now += timedelta(minutes=1)
    assert follow(client, code).status_code == 302  # the customer taps it again
    report = shipped_row(shop, clock)
    assert (report["row"]["clicks"], report["row"]["messages_clicked"]) == (2, 1)
    assert report["links"] == {"clicks": 2, "messages_clicked": 1}
    period = {"since": "2026-11-10T00:00:00Z", "until": "2026-11-20T00:00:00Z"}
    over_http = client.get("/report", headers={"Authorization": f"Bearer {OPS}"}, params=period)
    assert over_http.json()["links"] == {"clicks": 2, "messages_clicked": 1}
    [record] = [r for r in message_records(shop.db_url) if r["kind"] == "order_shipped"]
    assert [c["url"] for c in record["clicks"]] == [TRACKING, TRACKING]


def test_the_short_link_costs_fewer_segments_than_the_link_it_stands_for(
    shop: Runtime, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    long_link = "https://tracking.estafeta.example.com/Service.asmx/Rastreo?guia=EST123456789MX" \
                "&idioma=es&origen=tienda&campana=envio-confirmado"  # fmt: skip
    ship(shop, clock, ["sms"], tracking=long_link)
    body = shipped_sms(fake_twilio)
    [code] = SHORT.findall(body)
    as_written = body.replace(f"{PUBLIC_URL}/r/{code}", long_link)
    assert count_segments(body).segments < count_segments(as_written).segments, body


def test_a_link_preview_and_a_head_are_redirected_but_not_counted(
    shop: Runtime, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    ship(shop, clock, ["sms"])
    [code] = SHORT.findall(shipped_sms(fake_twilio))
    client = TestClient(create_app(shop))
    for agent in ("WhatsApp/2.23.20.0 A", "facebookexternalhit/1.1", "TelegramBot (like Twitter)"):
        assert follow(client, code, agent).status_code == 302
    head = client.head(f"/r/{code}", headers={"User-Agent": BROWSER}, follow_redirects=False)
    assert head.status_code == 302 and head.headers["location"] == TRACKING
    assert shipped_row(shop, clock)["row"]["clicks"] == 0
    assert follow(client, code).status_code == 302
    assert shipped_row(shop, clock)["row"]["clicks"] == 1


@pytest.mark.parametrize("code", ["AAAAAAAA", "x", "%2E%2E", "a" * 300, "ñandú"])
def test_an_unknown_code_is_a_404_page_never_a_500(
    shop: Runtime, clock: Clock, fake_twilio: FakeTwilio, code: str
) -> None:
    ship(shop, clock, ["sms"])
    client = TestClient(create_app(shop))
    answer = client.get(f"/r/{code}", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "Este link não existe" in answer.text and "<form" not in answer.text
    assert shipped_row(shop, clock)["links"]["clicks"] == 0


def test_whatsapp_shortens_its_template_variables(
    shop: Runtime, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    ship(shop, clock, ["whatsapp"])
    [shipped] = [m for m in fake_twilio.accepted_to(f"whatsapp:{PHONE}")
                 if m.content_variables and len(m.content_variables) == 3]  # fmt: skip
    assert shipped.content_variables is not None
    [code] = SHORT.findall(shipped.content_variables["3"])
    assert follow(TestClient(create_app(shop)), code).headers["location"] == TRACKING


def test_an_email_keeps_its_links_as_written(
    shop: Runtime, clock: Clock, fake_smtp: FakeSmtp
) -> None:
    ship(shop, clock, ["email"])
    texts = [plain_text(m.message) for m in fake_smtp.messages]
    assert any(TRACKING in text for text in texts), texts
    assert not any(f"{PUBLIC_URL}/r/" in text for text in texts), texts


def test_a_retry_sends_the_same_short_link(
    shop: Runtime, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    placed = example("order_placed")
    placed["customer"]["channels"] = ["sms"]
    notifier.publish(placed, runtime=shop)
    fake_twilio.fail_next(1, status=500, code=20500)
    shipped = example("order_shipped")
    shipped["customer"]["channels"] = ["sms"]
    notifier.publish(shipped, runtime=shop)
    tried = [m.body or "" for m in fake_twilio.attempts if "camino" in (m.body or "")]
    codes = [SHORT.findall(body) for body in tried]
    assert len(codes) == 2 and codes[0] == codes[1], tried
    with session_scope(shop.db_url) as session:
        [link] = session.query(ShortLink).filter(ShortLink.code == codes[0][0])
        assert link.url == example("order_shipped")["shipment"]["tracking_url"]


def test_with_short_links_off_the_sms_carries_the_link_as_written(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, tmp_path: Path, clock: Clock
) -> None:
    runtime = shop_on(sqlite_url, fake_twilio, fake_smtp, tmp_path, clock, short_links=False)
    try:
        ship(runtime, clock, ["sms"])
        body = shipped_sms(fake_twilio)
        assert TRACKING in body and "/r/" not in body
    finally:
        runtime.close()
