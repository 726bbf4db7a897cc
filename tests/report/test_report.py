"""`notifier report` and `GET /report` over the demo's store week (with Ana's answers), on
SQLite and PostgreSQL. Every figure below is counted by hand from the week's story
(`notifier/cli/demo.py`), not read back from the code that computes it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.cli import demo
from notifier.cli.report import text_lines
from notifier.http.app import create_app
from notifier.store.db import session_scope
from notifier.store.period import Period
from notifier.store.report import build_report
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import TEMPLATES

OPS = "ops-token-for-the-report"
WEEK = {"since": "2026-11-10T14:00:00Z", "until": "2026-11-24T12:00:00Z"}


@pytest.fixture(params=["sqlite", "postgresql"])
def week(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    settings = demo.demo_settings(url, TEMPLATES, tmp_path, ops_token=SecretStr(OPS))
    clock = demo.SimulatedClock()
    runtime = build_runtime(settings, clock=clock, console=io.StringIO())
    demo.play_week(runtime, clock, io.StringIO())
    yield runtime
    runtime.close()


def report_of(runtime: Runtime) -> dict[str, Any]:
    with session_scope(runtime.db_url) as session:
        return build_report(session, runtime.policy, Period(demo.START, demo.END))


def sent_by_channel(report: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in report["messages"]:
        counts[row["channel"]] = counts.get(row["channel"], 0) + row["sent"]
    return {channel: count for channel, count in counts.items() if count}


def test_the_cost_per_channel_is_the_week_counted_by_hand(week: Runtime) -> None:
    report = report_of(week)
    # João (Brazil, SMS at 0.0525 a segment): confirmation 1, cancellation 1, refund 1,
    # cart reminders 1 + 1, boleto pending 2, its reminder 2, the win-back 1 = 8 messages,
    # 10 segments. The second cart reminder fits in one segment with its short link (151
    # characters; with its link as written, https://loja.example.com.br/carrinho/cart-joao-2,
    # 166: two).
    # Ana (Mexico, WhatsApp session messages at Twilio's 0.005): 2 confirmations, shipped,
    # 2 in transit, the delay notice, 2 acknowledgements, out for delivery, delivered, the
    # follow-up, the review request = 12. Emily (email at 0.0004): 2 confirmations (US-9003,
    # US-9004), shipped, out of stock, delivered, return received, the win-back = 7.
    assert sent_by_channel(report) == {"sms": 8, "whatsapp": 12, "email": 7}
    sms_segments = sum(r["segments"] for r in report["messages"] if r["channel"] == "sms")
    assert sms_segments == 10
    assert report["cost"]["by_channel"] == {
        "email": "0.002800", "sms": "0.525000", "whatsapp": "0.060000", "none": "0.000000",
    }  # fmt: skip
    assert Decimal(report["cost"]["total_usd"]) == Decimal("0.5878")
    assert report["cost"]["unpriced"] == 0
    [brazil] = [c for c in report["cost"]["by_country"] if c["country"] == "BR"]
    assert brazil["sent"] == 8 and brazil["cost_usd"] == "0.525000"


def test_what_the_week_earned_is_counted_by_hand(week: Runtime) -> None:
    report = report_of(week)
    # João's cart was reminded twice and bought (by boleto) after the second reminder.
    assert report["carts"] == {"reminded": 1, "recovered": 1, "revenue": {"BRL": "189.90"}}
    # Ana chose to wait and got her coupon; her second order used it.
    assert report["coupons"] == {"issued": 1, "redeemed": 1}
    # Missed after nine days (the demo shop's policy): Emily on 11-20 (19:00 in New York), who
    # orders a blue mug for 42.00 USD the next day, and João on 11-22, who does not.
    assert report["winback"] == {"sent": 2, "converted": 1, "revenue": {"USD": "42.00"}}
    assert report["reviews"] == {"requested": 1, "submitted": 1}
    assert report["delays"] == {"notices": 1, "choices": {"wait": 1}, "canceled_at_platform": 0}
    csat = report["csat"]
    assert (csat["count"], csat["average"], csat["low_share"]) == (1, 2.0, 1.0)
    assert csat["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}
    handoffs = report["handoffs"]
    assert (handoffs["opened"], handoffs["closed"]) == (1, 1)
    assert handoffs["average_minutes_to_close"] == 40.0  # closed 40 minutes after her score
    assert handoffs["closed_by_answer_time"] == 1  # within the hour she was told


def test_a_period_without_the_week_counts_nothing(week: Runtime) -> None:
    with session_scope(week.db_url) as session:
        later = Period(demo.END, demo.END.replace(year=2027))
        report = build_report(session, week.policy, later)
    assert report["messages"] == [] and report["cost"]["total_usd"] == "0.000000"
    assert report["carts"]["reminded"] == 0 and report["csat"]["count"] == 0


def test_get_report_needs_the_ops_token_and_gives_the_same_figures(week: Runtime) -> None:
    client = TestClient(create_app(week))
    assert client.get("/report", params=WEEK).status_code == 401
    wrong = client.get("/report", params=WEEK, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    answer = client.get("/report", params=WEEK, headers={"Authorization": f"Bearer {OPS}"})
    assert answer.status_code == 200
    assert answer.json()["coupons"] == {"issued": 1, "redeemed": 1}
    assert answer.json()["cost"] == report_of(week)["cost"]
    naive = client.get("/report", params={"since": "2026-11-10T14:00:00"},
                       headers={"Authorization": f"Bearer {OPS}"})  # fmt: skip
    assert naive.status_code == 422 and "since" in naive.text
    backwards = client.get("/report", params={"since": WEEK["until"], "until": WEEK["since"]},
                           headers={"Authorization": f"Bearer {OPS}"})  # fmt: skip
    assert backwards.status_code == 422 and "after its end" in backwards.text


def test_the_text_report_names_each_figure(week: Runtime) -> None:
    text = "\n".join(text_lines(report_of(week)))
    assert "carts: 1 reminded, 1 recovered, revenue 189.90 BRL" in text
    assert "coupons: 1 issued, 1 redeemed" in text
    assert "CSAT: 1 scores, average 2.0" in text


def test_the_week_counts_joaos_one_tap_on_his_cart_reminders_link(week: Runtime) -> None:
    report = report_of(week)
    # João taps the short link of his second cart reminder once (11-12 11:50Z), then orders.
    clicked = {(r["kind"], r["channel"]): r["clicks"] for r in report["messages"] if r["clicks"]}
    assert clicked == {("cart_reminder_2", "sms"): 1}
    assert report["links"] == {"clicks": 1, "messages_clicked": 1}
    assert "links: 1 clicks on 1 messages" in text_lines(report)
