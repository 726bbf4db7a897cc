"""`notifier report [--since] [--until] [--json]`: what the messages cost and earned."""

from __future__ import annotations

import argparse
import json
from typing import Any

from notifier.store.report import default_period, report_over
from notifier.workers.runtime import get_runtime


def report(args: argparse.Namespace) -> int:
    """Print the report for the period, as text or as its JSON document."""
    runtime = get_runtime()  # migrates the embedded database on first use
    period = default_period(runtime.clock(), args.since, args.until)
    document = report_over(runtime.db_url, runtime.policy, period)
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print("\n".join(text_lines(document)))
    return 0


def text_lines(document: dict[str, Any]) -> list[str]:
    """The report as a reader scans it: the messages table, then the value figures."""
    lines = [f"Report {document['since']} to {document['until']} (costs in USD, estimated)", ""]
    lines.append(f"{'kind':<18} {'channel':<9} {'sent':>6} {'deliv.':>6} {'failed':>6} "
                 f"{'skipped':>7} {'segments':>8} {'cost':>10} {'clicks':>6}")  # fmt: skip
    for row in document["messages"]:
        lines.append(f"{row['kind']:<18} {row['channel'] or '-':<9} {row['sent']:>6} "
                     f"{row['delivered']:>6} {row['failed']:>6} {row['skipped']:>7} "
                     f"{row['segments']:>8} {float(row['cost_usd']):>10.4f} "
                     f"{row['clicks']:>6}")  # fmt: skip
    cost = document["cost"]
    by_channel = ", ".join(f"{c} {float(v):.4f}" for c, v in cost["by_channel"].items())
    lines += [
        "",
        f"cost: {float(cost['total_usd']):.4f} ({by_channel}); unpriced {cost['unpriced']}",
    ]
    links = document["links"]
    lines.append(f"links: {links['clicks']} clicks on {links['messages_clicked']} messages")
    carts, winback = document["carts"], document["winback"]
    lines.append(f"carts: {carts['reminded']} reminded, {carts['recovered']} recovered, "
                 f"revenue {_money(carts['revenue'])}")  # fmt: skip
    coupons = document["coupons"]
    lines.append(f"coupons: {coupons['issued']} issued, {coupons['redeemed']} redeemed")
    lines.append(f"win-back: {winback['sent']} sent, {winback['converted']} converted, "
                 f"revenue {_money(winback['revenue'])}")  # fmt: skip
    reviews, delays = document["reviews"], document["delays"]
    lines.append(f"reviews: {reviews['requested']} requested, {reviews['submitted']} submitted")
    lines.append(f"delay notices: {delays['notices']} sent, choices {delays['choices'] or {}}")
    csat, handoffs = document["csat"], document["handoffs"]
    lines.append(f"CSAT: {csat['count']} scores, average {csat['average']}, "
                 f"share <= 3: {csat['low_share']}")  # fmt: skip
    lines.append(f"handoffs: {handoffs['opened']} opened, {handoffs['closed']} closed, "
                 f"average {handoffs['average_minutes_to_close']} min to close, "
                 f"{handoffs['closed_by_answer_time']} by the answer time")  # fmt: skip
    return lines


def _money(revenue: dict[str, str]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in revenue.items()) or "0"
