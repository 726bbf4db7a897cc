"""Benchmark: the provider rate limit holds across worker processes (prints figures; not a test).

Two processes send SMS as the same sender through the real Twilio adapter to a local fake of
Twilio's API, each taking its slots from the shared Redis schedule. The fake timestamps what it
accepts; the figures show the rate it saw against the limit.

    python bench/rate_limit.py [--rate 20] [--per-process 100] [--processes 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.channels.base import OutboundMessage
from adapters.channels.twilio import Sender, TwilioChannel
from notifier.pipeline.ratelimit import KEY_PREFIX, RedisRateLimiter
from tests.fakes.twilio import FakeTwilio

REDIS_URL = "redis://127.0.0.1:6379/15"


def sender_process(base_url: str, sid: str, token: str, rate: float, count: int, n: int) -> None:
    channel = TwilioChannel.build("sms", sid, token, Sender("+15005550006"), base_url=base_url)
    limiter = RedisRateLimiter(redis.Redis.from_url(REDIS_URL))
    for i in range(count):
        limiter.acquire("bench-sms", rate)
        message = OutboundMessage(i, "order_confirmed", "sms", f"+52551{n}{i:06d}", "Hola")
        channel.send(message)
    channel.close()


def max_in_any_second(stamps: list[float]) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--per-process", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).delete(KEY_PREFIX + "bench-sms")
    with FakeTwilio() as fake:
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(
                target=sender_process,
                args=(
                    fake.base_url,
                    fake.account_sid,
                    fake.auth_token,
                    args.rate,
                    args.per_process,
                    n,
                ),
            )
            for n in range(args.processes)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
        stamps = sorted(m.received_at for m in fake.messages)
    achieved = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    print(f"limit                {args.rate:.1f} messages/s, shared by {args.processes} processes")
    print(f"messages accepted    {len(stamps)} in {elapsed:.1f} s (with process start-up)")
    print(f"rate at the provider {achieved:.2f} messages/s (first to last accepted)")
    print(f"most in any 1 s      {max_in_any_second(stamps)}")


if __name__ == "__main__":
    main()
