"""Where an event's time goes: the pipeline in one thread, profiled (prints figures).

The same work a worker does for one `order.placed` — ingest, process, deliver through the real
Twilio adapter to a local fake of Twilio's API (in another process, so its CPU is not counted
here) — on a fresh PostgreSQL database, without the queue: what is left is our own cost. It
prints CPU and wall time per event, the SQL statements and commits of one event, Python calls
per event (a count that does not move with the machine's load), and the functions that cost
the most.

    python bench/where_time_goes.py [--events 500] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event as sqlalchemy_event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throughput import POLICY, event, fresh_database

from notifier.config import Settings
from notifier.intake.ingest import store_and_enqueue, validate
from notifier.pipeline import deliver, process_batch, send_batch
from notifier.store.db import dispose_engines, get_engine
from notifier.workers.runtime import Runtime, build_runtime
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

FAKE = "from tests.fakes.twilio import FakeTwilio\nimport time\nfake = FakeTwilio().start()\n"
FAKE += "print(fake.base_url, flush=True)\nwhile True: time.sleep(1)\n"


class Collecting:
    """A dispatcher that keeps what it is handed, so this script runs each step itself."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, int]] = []
        self.batches: list[tuple[str, list[int]]] = []

    def send(self, task: str, row_id: int) -> None:
        self.tasks.append((task, row_id))

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        self.batches.append((task, list(row_ids)))

    def ping(self) -> None:
        """Nothing to reach."""

    def depth(self) -> int:
        return len(self.tasks)


def run(runtime: Runtime, first: int, count: int) -> None:
    """Ingest `count` events in batches of 100, process them, deliver what they planned."""
    collected = Collecting()
    runtime.dispatcher = collected
    batch = [validate(event(n)) for n in range(first, first + count)]
    for start in range(0, count, 100):
        store_and_enqueue(runtime, batch[start : start + 100])
    for _, row_ids in list(collected.batches):  # as the `events.process_batch` actor does
        planned = process_batch.process_events_here(runtime, row_ids)
        send_batch.send_claimed_batch(runtime, planned.claimed)
        for notification_id in planned.due_now:
            deliver.deliver(runtime, notification_id)


def statements_of_one_event(runtime: Runtime, number: int) -> list[str]:
    """The SQL that one event costs, first words of each statement, and the commits."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    engine = get_engine(runtime.db_url)
    sqlalchemy_event.listen(engine, "before_cursor_execute", note)
    sqlalchemy_event.listen(engine, "commit", lambda _conn: seen.append("COMMIT"))
    run(runtime, number, 1)
    return seen


def measure(runtime: Runtime, events: int, top: int, sort: str = "cumulative") -> None:
    run(runtime, 0, 200)  # warm up: pools, compiled statements, templates
    cpu, wall = time.process_time(), time.perf_counter()
    run(runtime, 1_000, events)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"per event   {cpu / events * 1000:.2f} ms CPU, {wall / events * 1000:.2f} ms wall")
    profile = cProfile.Profile(time.process_time)
    profile.runcall(run, runtime, 100_000, events)
    stats = pstats.Stats(profile)
    calls: int = stats.total_calls  # type: ignore[attr-defined]
    print(f"Python function calls per event  {calls / events:,.0f}")
    statements = statements_of_one_event(runtime, 200_000)
    print(f"SQL of one event ({len(statements)} lines, ingest batch of one):")
    for line in statements:
        print(f"    {line}")
    stats.sort_stats(sort).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="cumulative, or tottime (own time)")
    args = parser.parse_args()
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    db_url, drop = fresh_database()
    try:
        with tempfile.TemporaryDirectory() as folder:
            policy = Path(folder) / "notifier.toml"
            policy.write_text(POLICY)
            settings = Settings(
                database_url=db_url, broker_url="memory://", policy_file=policy,
                twilio_base_url=(fake.stdout.readline() if fake.stdout else "").strip(),
                twilio_account_sid=DEFAULT_ACCOUNT_SID,
                twilio_auth_token=SecretStr(DEFAULT_AUTH_TOKEN), twilio_sms_from="+15005550006",
            )  # fmt: skip
            runtime = build_runtime(settings)
            measure(runtime, args.events, args.top, args.sort)
            runtime.close()
    finally:
        dispose_engines()
        drop()
        fake.kill()


if __name__ == "__main__":
    main()
