"""Benchmark: events per second end to end, against the bare queue, in one run (prints figures).

Real Redis and PostgreSQL, a local fake of Twilio's API over HTTP, `notifier worker` with N
processes (default: as many as cores) x 8 threads. It publishes N_EVENTS `order.placed` events
through the ingest path (batches of 100, as `POST /events` takes them) and waits until the fake
has accepted every confirmation. Then, on the same Redis with the same worker settings, a bare
dramatiq no-op actor handles as many messages. It prints events/s, latency from ingest to the
provider's acceptance (p50/p95/p99), peak RSS per worker process, and the ratio ours/bare.

Then, unless told not to: single events POSTed to `notifier api` at steady rates (50/s and
250/s, 20 s each: p50/p95/p99 from POST to the provider's acceptance, `bench/steady.py`), and
one scheduler tick over 10,000 and over 100,000 due orders and messages (`bench/tick.py`).

    python bench/throughput.py [--events 20000] [--processes N] [--threads 8]
                               [--rates 50,250] [--seconds 20] [--no-steady] [--no-tick]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from notifier.cli.commands import worker_environment
from notifier.config import Settings
from notifier.intake.ingest import store_and_enqueue, validate
from notifier.store import migrate
from notifier.workers.broker import make_redis_broker
from notifier.workers.runtime import build_runtime
from tests.fakes.twilio import FakeTwilio

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/13"
POLICY = "[rate_limits]\nsms = 100000.0\n[retry]\nbase_seconds = 0.05\nmax_seconds = 1.0\n"


def event(n: int) -> dict[str, Any]:
    return {
        "event_id": f"bench-{n}", "type": "order.placed", "occurred_at": "2026-11-20T15:00:00Z",
        "customer": {"id": f"c-{n}", "name": "Ana Pérez", "phone": f"+5255{n:08d}",
                     "channels": ["sms"], "locale": "es-MX"},
        "order": {"id": f"o-{n}", "number": f"B-{n}", "currency": "MXN", "total": "1299.00",
                  "status_url": f"https://shop.example.com/orders/B-{n}"},
    }  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def peak_rss_mb(parent: int) -> list[float]:
    """VmHWM of the worker processes (children of dramatiq's main process)."""
    peaks = []
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM"))
        peaks.append(int(line.split()[1]) / 1024)
    return peaks


def cpu_seconds(parent: int) -> float:
    """CPU time (user + system) used so far by the worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def server_cpu_seconds() -> dict[str, float]:
    """CPU time used so far by PostgreSQL's processes (the ended backends counted in their
    parent's) and by Redis, on this machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {"postgresql": 0.0, "redis": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        server = "postgresql" if name.startswith("postgres") else "redis" if "redis" in name else ""
        if server:
            used[server] += sum(int(f) for f in fields[11:15]) / ticks
    return used


def own_cpu_seconds() -> float:
    """This process's CPU time: the publisher (validation, the INSERT, the enqueue) and the
    fake Twilio's threads."""
    times = os.times()
    return times.user + times.system


def start_workers(module: str, env: dict[str, str], processes: int, threads: int) -> Any:
    """dramatiq over `module`, with the environment `notifier worker` gives its workers."""
    command = [sys.executable, "-m", "dramatiq", module, "--processes", str(processes),
               "--threads", str(threads)]  # fmt: skip
    return subprocess.Popen(command, env=worker_environment(env), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def stop(process: Any) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def wait_for(condition: Any, what: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def notifier_env(db_url: str, fake: FakeTwilio) -> Iterator[dict[str, str]]:
    """The environment of notifier's processes sending SMS to `fake` (with a policy file)."""
    with tempfile.TemporaryDirectory() as folder:
        policy = Path(folder) / "notifier.toml"
        policy.write_text(POLICY)
        yield {**os.environ, "NOTIFIER_DATABASE_URL": db_url, "NOTIFIER_BROKER_URL": REDIS,
               "NOTIFIER_POLICY_FILE": str(policy), "NOTIFIER_TWILIO_BASE_URL": fake.base_url,
               "TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
               "TWILIO_SMS_FROM": "+15005550006",
               "NOTIFIER_TEMPLATES_DIR": str(ROOT / "templates")}  # fmt: skip


def run_ours(db_url: str, events: int, processes: int, threads: int) -> dict[str, Any]:
    with FakeTwilio() as fake, notifier_env(db_url, fake) as env:
        settings = Settings(
            database_url=db_url, broker_url=REDIS, policy_file=Path(env["NOTIFIER_POLICY_FILE"]),
            twilio_base_url=fake.base_url, twilio_account_sid=fake.account_sid,
            twilio_auth_token=SecretStr(fake.auth_token), twilio_sms_from="+15005550006",
        )  # fmt: skip
        workers = start_workers("notifier.workers.actors", env, processes, threads)
        time.sleep(3)  # let the workers boot
        runtime = build_runtime(settings)
        sent_at: dict[str, float] = {}
        servers_before, own_before = server_cpu_seconds(), own_cpu_seconds()
        started = time.monotonic()
        for first in range(0, events, 100):
            batch = [validate(event(n)) for n in range(first, min(events, first + 100))]
            now = time.monotonic()
            store_and_enqueue(runtime, batch)
            sent_at.update({f"+5255{n:08d}": now for n in range(first, first + len(batch))})
        published = time.monotonic() - started
        wait_for(lambda: len(fake.messages) >= events, "every confirmation at the fake")
        elapsed = time.monotonic() - started
        latencies = [m.received_at - sent_at[m.to] for m in fake.messages]
        rss, cpu = peak_rss_mb(workers.pid), cpu_seconds(workers.pid)
        servers, own = server_cpu_seconds(), own_cpu_seconds() - own_before
        servers = {name: used - servers_before[name] for name, used in servers.items()}
        time.sleep(2)  # a second copy of a message would arrive by now
        accepted = Counter(m.to for m in fake.messages)
        stop(workers)
        runtime.close()
    return {"elapsed": elapsed, "published": published, "latencies": latencies, "rss": rss,
            "cpu": cpu, "servers": servers, "own": own, "customers": len(accepted),
            "twice": sum(count - 1 for count in accepted.values())}  # fmt: skip


def run_bare(events: int, processes: int, threads: int) -> float:
    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    env = {**os.environ, "BARE_BROKER_URL": REDIS, "PYTHONPATH": str(ROOT)}
    workers = start_workers("bench.bare_actor", env, processes, threads)
    time.sleep(3)
    broker = make_redis_broker(REDIS)
    import dramatiq

    started = time.monotonic()
    for n in range(events):
        broker.enqueue(dramatiq.Message(queue_name="default", actor_name="bare.noop",
                                        args=(n,), kwargs={}, options={}))  # fmt: skip
    wait_for(lambda: int(client.get("bench:bare:done") or 0) >= events, "the bare actor")
    elapsed = time.monotonic() - started
    stop(workers)
    client.close()
    return elapsed


def fresh_database() -> tuple[str, Any]:
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    name = f"notifier_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url, lambda: _drop(admin, name)


def _drop(admin: Any, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rates", default="50,250", help="steady rates of single POSTs, /s")
    parser.add_argument("--seconds", type=float, default=20, help="of each steady rate")
    parser.add_argument("--no-steady", action="store_true", help="skip the steady-rate runs")
    parser.add_argument("--no-tick", action="store_true", help="skip the scheduler tick runs")
    args = parser.parse_args()
    redis.Redis.from_url(REDIS).flushdb()
    db_url, drop = fresh_database()
    try:
        ours = run_ours(db_url, args.events, args.processes, args.threads)
    finally:
        from notifier.store.db import dispose_engines

        dispose_engines()
        drop()
    bare = run_bare(args.events, args.processes, args.threads)
    ours_rate, bare_rate = args.events / ours["elapsed"], args.events / bare
    lat = ours["latencies"]
    print(f"workers            {args.processes} processes x {args.threads} threads")
    print(
        f"events             {args.events:,} order.placed (published in {ours['published']:.1f} s)"
    )
    print(f"ours, end to end   {ours_rate:,.0f} events/s ({ours['elapsed']:.1f} s to the last "
          "provider acceptance)")  # fmt: skip
    print(
        f"latency ingest->provider  p50 {percentile(lat, 0.5) * 1000:,.0f} ms  "
        f"p95 {percentile(lat, 0.95) * 1000:,.0f} ms  p99 {percentile(lat, 0.99) * 1000:,.0f} ms"
    )
    print(f"accepted by the fake {ours['customers']:,} customers, {ours['twice']} second copies")
    print(f"peak RSS per worker  {', '.join(f'{mb:.0f} MB' for mb in ours['rss'])}")
    print(f"worker CPU per event {ours['cpu'] / args.events * 1000:.1f} ms (all worker processes)")
    per_event = {name: used / args.events * 1000 for name, used in ours["servers"].items()}
    print(f"CPU per event elsewhere  PostgreSQL {per_event['postgresql']:.2f} ms, Redis "
          f"{per_event['redis']:.2f} ms, publisher + fake Twilio "
          f"{ours['own'] / args.events * 1000:.2f} ms")  # fmt: skip
    print(f"bare dramatiq no-op  {bare_rate:,.0f} messages/s")
    print(f"ratio ours/bare      {ours_rate / bare_rate:.3f}")
    if not args.no_steady:
        steady_figures(args)
    if not args.no_tick:  # 1 % and 10 % of 1,000,000: 10,000 and 100,000 due of each
        tick = [sys.executable, str(ROOT / "bench" / "tick.py"), "--due-share", "0.01",
                "--due-share", "0.1"]  # fmt: skip
        subprocess.run(tick, check=True, cwd=ROOT)


def steady_figures(args: argparse.Namespace) -> None:
    """Single POSTs at steady rates (bench/steady.py), on a fresh database."""
    from steady import measure

    measure(args.rates, args.seconds, args.processes, args.threads)


if __name__ == "__main__":
    main()
