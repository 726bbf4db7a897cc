"""Benchmark part: single events POSTed at a steady rate, latency from POST to the provider.

Used by `bench/throughput.py`; runs alone too (prints figures, not a test):

    python bench/steady.py [--rates 50,250] [--seconds 20]

`notifier api` (uvicorn) and `notifier worker`'s actors (dramatiq, N processes) run as
subprocesses on real Redis and PostgreSQL; a local fake of Twilio's API runs here. Each event
is one `POST /events` with one `order.placed`, sent at its slot of the fixed rate whatever the
previous one did (a few sender threads, keep-alive connections); the latency of an event runs
from the moment its POST starts to the moment the fake accepts its confirmation.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import redis
from throughput import (
    REDIS,
    event,
    fresh_database,
    notifier_env,
    percentile,
    start_workers,
    stop,
    wait_for,
)

from tests.fakes.twilio import FakeTwilio

SENDERS = 16


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Poster:
    """POSTs one event per call over a keep-alive connection of the calling thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()
        self.started: dict[str, float] = {}
        self.failures = 0

    def post(self, n: int) -> None:
        body = json.dumps(event(n)).encode()
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port)
        self.started[f"+5255{n:08d}"] = time.monotonic()
        connection.request("POST", "/events", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 202:
            self.failures += 1


def start_api(env: dict[str, str], port: int) -> Any:
    command = [sys.executable, "-m", "notifier.cli.main", "api", "--port", str(port)]
    api = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    wait_for(lambda: _answers(port), "the API to start", timeout=60)
    return api


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def steady_run(poster: Poster, fake: FakeTwilio, rate: float, seconds: float, first: int) -> Any:
    """POST rate x seconds events at their slots; the latencies (s) and the rate reached."""
    count = int(rate * seconds)
    fake.reset()
    began = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        for i in range(count):
            slot = began + i / rate
            time.sleep(max(0.0, slot - time.monotonic()))
            pool.submit(poster.post, first + i)
    posted_in = time.monotonic() - began
    wait_for(lambda: len(fake.messages) >= count, f"{count} confirmations at the fake", 300)
    latencies = [m.received_at - poster.started[m.to] for m in fake.messages]
    return latencies, count / posted_in


def run_steady(
    db_url: str, rates: list[float], seconds: float, processes: int, threads: int
) -> Any:
    """For each rate, (rate, rate reached, p50, p95, p99 in ms, failed POSTs)."""
    results = []
    with FakeTwilio() as fake, notifier_env(db_url, fake) as env:
        workers = start_workers("notifier.workers.actors", env, processes, threads)
        port = free_port()
        api = start_api(env, port)
        time.sleep(3)  # let the workers boot
        poster = Poster(port)
        steady_run(poster, fake, 20, 2, first=9_000_000)  # warm up connections and caches
        for number, rate in enumerate(rates):
            latencies, reached = steady_run(poster, fake, rate, seconds, (number + 1) * 1_000_000)
            figures = [percentile(latencies, share) * 1000 for share in (0.5, 0.95, 0.99)]
            results.append((rate, reached, *figures, poster.failures))
        stop(api)
        stop(workers)
    return results


def print_steady(results: list[Any]) -> None:
    for rate, reached, p50, p95, p99, failures in results:
        print(f"steady {rate:,.0f}/s single POSTs (reached {reached:,.0f}/s): POST->provider "
              f"p50 {p50:,.0f} ms  p95 {p95:,.0f} ms  p99 {p99:,.0f} ms"
              + (f"  ({failures} POSTs failed)" if failures else ""))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,250")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    measure(args.rates, args.seconds, args.processes, args.threads)


def measure(rates: str, seconds: float, processes: int, threads: int) -> None:
    """Print the figures of each rate ("50,250"), on a fresh database and Redis."""
    from notifier.store.db import dispose_engines

    redis.Redis.from_url(REDIS).flushdb()
    db_url, drop = fresh_database()
    try:
        steady = [float(rate) for rate in rates.split(",")]
        print_steady(run_steady(db_url, steady, seconds, processes, threads))
    finally:
        dispose_engines()
        drop()


if __name__ == "__main__":
    main()
