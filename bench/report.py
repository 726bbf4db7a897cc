"""Benchmark: `notifier report` over 1,000,000 messages on PostgreSQL (prints figures; not a test).

It fills a fresh database with a month of messages of every kind (sent, delivered, failed,
skipped, with segments and estimated cost), their customers' purchases (a third of the
reminded carts come back), the discount codes used, satisfaction scores and handoffs, then
times the whole report (cold, then warm) and each of its queries.

    python bench/report.py [--messages 1000000] [--url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database

from notifier.decide.policy import Policy
from notifier.store import report_care, report_links, report_messages, report_value
from notifier.store.db import get_engine, session_scope
from notifier.store.period import Period
from notifier.store.report import build_report

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
KINDS = ["order_confirmed", "order_shipped", "in_transit_update", "order_delivered",
         "delay_notice", "cart_reminder_1", "cart_reminder_2", "review_request", "winback",
         "choice_ack"]  # fmt: skip
STATUSES = ["sent", "delivered", "delivered", "delivered", "failed", "skipped"]
CHANNELS = ["whatsapp", "sms", "email"]

FILL_MESSAGES = """
INSERT INTO notifications (dedup_key, kind, order_id, customer_id, cart_id, event_id, status,
    due_at, sent_at, context, attempts, history, created_at, updated_at, channel, rendered_for,
    segments, country, cost_usd, coupon_code)
SELECT 'bench:' || n, (CAST(:kinds AS text[]))[1 + n % 10], 'ord-' || (n / 3), 'cus-' || (n / 7),
       CASE WHEN n % 10 IN (5, 6) THEN 'cart-' || (n / 7) END, 'bench',
       (CAST(:statuses AS text[]))[1 + n % 6], at, CASE WHEN n % 6 < 4 THEN at END,
       '{}'::json, 1, '[]'::json,
       at, at, (CAST(:channels AS text[]))[1 + n % 3], (CAST(:channels AS text[]))[1 + n % 3],
       CASE WHEN n % 3 = 1 THEN 1 + n % 2 END, (ARRAY['MX', 'BR', 'CO', 'US'])[1 + n % 4],
       CASE WHEN n % 6 < 4 THEN 0.005 + (n % 3 = 1)::int * 0.05 END,
       CASE WHEN n % 10 = 9 THEN 'CODE-' || (n / 7) END
FROM (SELECT n, CAST(:start AS timestamptz) + (n % (:days * 1440)) * interval '1 minute' AS at
      FROM generate_series(1, :rows) AS n) AS g
"""
FILL_PURCHASES = """
INSERT INTO purchases (order_id, customer_id, cart_id, placed_at, total, currency)
SELECT 'back-' || n, 'cus-' || n, 'cart-' || n,
       CAST(:start AS timestamptz) + (n % (:days * 24)) * interval '1 hour' + interval '2 hours',
       100 + n % 900, (ARRAY['MXN', 'BRL', 'USD'])[1 + n % 3]
FROM generate_series(1, :customers / 3) AS n
"""
FILL_CODES = """
INSERT INTO order_codes (order_id, customer_id, code, used_at)
SELECT 'back-' || n, 'cus-' || n, 'CODE-' || n, CAST(:start AS timestamptz) + interval '20 days'
FROM generate_series(1, :customers / 5) AS n
"""
FILL_CHOICES = """
INSERT INTO customer_choices (notification_id, order_id, customer_id, choice, score, channel,
    via, at, shop_action_attempts)
SELECT id, order_id, customer_id, 'csat_' || (1 + id % 5), 1 + id % 5, 'whatsapp', 'reply',
       sent_at + interval '1 hour', 0
FROM notifications WHERE kind = 'order_delivered' AND sent_at IS NOT NULL
"""
FILL_HANDOFFS = """
INSERT INTO handoffs (customer_id, status, priority, reason, messages, context,
    reply_by, opened_at, updated_at, closed_at)
SELECT 'cus-' || n, 'closed', false, 'customer_message', '[]'::json, '{}'::json,
       at + interval '1 hour', at, at, at + (n % 180) * interval '1 minute'
FROM (SELECT n, CAST(:start AS timestamptz) + (n % (:days * 1440)) * interval '1 minute' AS at
      FROM generate_series(1, :rows / 100) AS n) AS g
"""
FILL_LINKS = """
INSERT INTO short_links (code, notification_id, url, created_at)
SELECT 'c' || id, id, 'https://track.example.com/' || id, sent_at
FROM notifications WHERE channel = 'sms' AND sent_at IS NOT NULL AND id % 5 = 0
"""
FILL_CLICKS = """
INSERT INTO link_clicks (code, notification_id, clicked_at)
SELECT code, notification_id, created_at + interval '10 minutes'
FROM short_links WHERE notification_id % 4 = 1
"""


def fill(url: str, rows: int) -> None:
    values = {"rows": rows, "customers": rows // 7, "start": START, "days": DAYS,
              "kinds": KINDS, "statuses": STATUSES, "channels": CHANNELS}  # fmt: skip
    with get_engine(url).begin() as connection:
        for name, statement in (("messages", FILL_MESSAGES), ("purchases", FILL_PURCHASES),
                                ("codes", FILL_CODES), ("choices", FILL_CHOICES),
                                ("handoffs", FILL_HANDOFFS), ("short links", FILL_LINKS),
                                ("clicks", FILL_CLICKS)):  # fmt: skip
            started = time.perf_counter()
            connection.execute(text(statement), values)
            print(f"filled {name} in {time.perf_counter() - started:.1f} s", flush=True)
        connection.execute(text("ANALYZE"))


def timed(what: str, run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    print(f"  {what:<34} {seconds * 1000:>9.0f} ms")
    return seconds


def measure(url: str, rows: int) -> None:
    policy, period = Policy(), Period(START, START + timedelta(days=DAYS))
    window = policy.report.attribution_window
    with session_scope(url) as session:
        print(f"report over {rows:,} messages ({DAYS} days), PostgreSQL:")
        timed("whole report (cold)", lambda: build_report(session, policy, period))
        total = timed("whole report (warm)", lambda: build_report(session, policy, period))
        parts: dict[str, Callable[[], Any]] = {
            "messages by kind and channel": lambda: report_messages.by_kind_and_channel(
                session, period
            ),
            "cost by country": lambda: report_messages.cost_by_country(session, period),
            "per day": lambda: report_messages.per_day(session, period),
            "carts": lambda: report_value.carts(session, period, window),
            "coupons": lambda: report_value.coupons(session, period),
            "win-back": lambda: report_value.winback(session, period, window),
            "reviews": lambda: report_value.reviews(session, period),
            "delays": lambda: report_value.delays(session, period),
            "csat": lambda: report_care.csat(session, period),
            "handoffs": lambda: report_care.handoffs(session, period),
            "clicks": lambda: report_links.clicks_by_kind_and_channel(session, period),
        }
        for what, run in parts.items():
            timed(what, run)
        document = build_report(session, policy, period)
    sent = sum(row["sent"] for row in document["messages"])
    print(f"{sent:,} sent, cost {document['cost']['total_usd']} USD, carts {document['carts']},"
          f" coupons {document['coupons']}, links {document['links']}; "
          f"whole report {total:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        fill(url, args.messages)
        measure(url, args.messages)


if __name__ == "__main__":
    main()
