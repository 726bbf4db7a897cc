"""Benchmark: a scheduler tick costs what is due, not what is stored (prints figures; not a test).

On a real PostgreSQL it fills 1,000,000 open orders (watched by the late-order scan) and
1,000,000 scheduled messages, makes 1 % and then 0.01 % of each due, and times one `tick` with
the number of SQL statements it ran. The handed-over messages are counted, not delivered.

    python bench/tick.py [--rows 1000000] [--due-share 0.0001 --due-share 0.01]
                         [--url postgresql+psycopg://postgres@127.0.0.1/test]

`--due-share 0.1` (alone) times one tick over 100,000 due orders and 100,000 due messages.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database

from notifier.config import Settings
from notifier.store.db import get_engine
from notifier.workers.runtime import build_runtime
from notifier.workers.scheduler import tick

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

FILL_ORDERS = """
INSERT INTO orders (id, status, status_at, details, shipment, next_check_at, created_at, updated_at)
SELECT 'ord-' || n, 'placed', :now,
       json_build_object('number', 'B-' || n, 'ship_by', CAST(:ship_by AS text)),
       '{}'::json, :now + (n % 1000 + 1) * interval '1 hour', :now, :now
FROM generate_series(1, :rows) AS n
"""
FILL_MESSAGES = """
INSERT INTO notifications (dedup_key, kind, order_id, event_id, status, due_at, context,
                           attempts, history, created_at, updated_at)
SELECT 'bench:' || n, 'review_request', 'ord-' || n, 'bench', 'scheduled',
       :now + (n % 1000 + 1) * interval '1 hour', '{}'::json, 0, '[]'::json, :now, :now
FROM generate_series(1, :rows) AS n
"""
MAKE_DUE_ORDERS = """
UPDATE orders SET next_check_at = :due
WHERE id IN (SELECT 'ord-' || n FROM generate_series(1, :count) AS n)
"""
MAKE_DUE_MESSAGES = """
UPDATE notifications SET due_at = :due
WHERE dedup_key IN (SELECT 'bench:' || n FROM generate_series(1, :count) AS n)
"""


class HandOverCounter:
    """Counts what the tick hands to delivery instead of delivering it."""

    def __init__(self) -> None:
        self.count = 0

    def send(self, task: str, row_id: int) -> None:
        self.count += 1

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        self.count += len(row_ids)

    def ping(self) -> None:
        """Nothing to reach."""

    def depth(self) -> int:
        """Nothing waits."""
        return 0


def count_statements(engine: Engine) -> list[int]:
    counter = [0]

    def before(*_args: object) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    return counter


def fill(url: str, rows: int) -> None:
    params = {"now": NOW, "rows": rows, "ship_by": (NOW - timedelta(days=1)).isoformat()}
    with get_engine(url).begin() as connection:
        started = time.monotonic()
        connection.execute(text(FILL_ORDERS), params)
        connection.execute(text(FILL_MESSAGES), params)
        connection.execute(text("ANALYZE orders; ANALYZE notifications"))
    print(f"filled {rows:,} orders and {rows:,} scheduled messages in "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip


def one_tick(url: str, rows: int, share: float) -> None:
    due = max(1, int(rows * share))
    with get_engine(url).begin() as connection:
        connection.execute(text(MAKE_DUE_ORDERS), {"due": NOW - timedelta(minutes=1), "count": due})
        connection.execute(
            text(MAKE_DUE_MESSAGES), {"due": NOW - timedelta(minutes=1), "count": due}
        )
    settings = Settings(database_url=url, broker_url="memory://", policy_file=None)
    runtime = build_runtime(settings, clock=lambda: NOW)
    counter = HandOverCounter()
    runtime.dispatcher = counter
    statements = count_statements(get_engine(url))
    started = time.monotonic()
    tick(runtime, NOW)
    elapsed = time.monotonic() - started
    print(f"{share:>7.2%} due ({due:>6,} orders + {due:>6,} messages): tick {elapsed:7.2f} s, "
          f"{statements[0]:>6,} SQL statements, {counter.count:>6,} handed over, "
          f"{elapsed / (2 * due) * 1000:.2f} ms per due row")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--due-share", type=float, action="append", dest="shares",
        help="the share of orders and of messages made due before a tick (repeat for several "
        "ticks, one after the other); default 0.0001 then 0.01",
    )  # fmt: skip
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        fill(url, args.rows)
        for share in args.shares or (0.0001, 0.01):
            one_tick(url, args.rows, share)


if __name__ == "__main__":
    main()
