"""CPU per `TwilioChannel.send` with the requests-based HTTP client and the urllib3 one (prints).

Each client sends `--sends` messages in one thread to the Twilio fake, which runs in another
process so that its CPU is not counted; `time.process_time()` of this process is what one
send costs us, the twilio client's own work included. Rounds alternate between the clients
so that a change in the machine's load hits both alike; the best round of each is reported
(and the median), with Python function calls per send from one profiled round, a count that
does not move with the machine's load.

    python bench/twilio_client.py [--sends 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.http import HttpClient
from twilio.rest import Client

from adapters.channels.base import OutboundMessage
from adapters.channels.twilio import RoutedHttpClient, Sender, TwilioChannel
from adapters.channels.twilio_http import PooledHttpClient
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

FAKE = "from tests.fakes.twilio import FakeTwilio\nimport time\nfake = FakeTwilio().start()\n"
FAKE += "print(fake.base_url, flush=True)\nwhile True: time.sleep(1)\n"

Factory = Callable[[str, float], HttpClient]
CLIENTS: dict[str, Factory] = {"requests": RoutedHttpClient, "urllib3": PooledHttpClient}
BODY = "Pedido MX-5001: va en camino. Sigue tu envío: https://track.example.com/EST1"


def channel(factory: Factory, base_url: str) -> TwilioChannel:
    http = factory(base_url, 10.0)
    client = Client(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, http_client=http)
    return TwilioChannel("sms", client, http, Sender("+15005550006"))


def send_all(sms: TwilioChannel, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        sms.send(OutboundMessage(n, "order_shipped", "sms", f"+5255{n:08d}", BODY))


def one_round(sms: TwilioChannel, count: int) -> tuple[float, float]:
    """(CPU, wall) seconds per send."""
    cpu, wall = time.process_time(), time.perf_counter()
    send_all(sms, count)
    return (time.process_time() - cpu) / count, (time.perf_counter() - wall) / count


def calls_per_send(sms: TwilioChannel, count: int) -> float:
    profile = cProfile.Profile()
    profile.runcall(send_all, sms, count)
    calls: int = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return calls / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        base_url = (fake.stdout.readline() if fake.stdout else "").strip()
        channels = {name: channel(factory, base_url) for name, factory in CLIENTS.items()}
        for sms in channels.values():
            send_all(sms, 200)  # warm up: connections, imports, caches
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in channels}
        for _ in range(args.rounds):
            for name, sms in channels.items():
                rounds[name].append(one_round(sms, args.sends))
        print(f"{args.sends} sends per round, {args.rounds} rounds, one thread, fake elsewhere")
        best: dict[str, float] = {}
        for name, sms in channels.items():
            cpus = [cpu for cpu, _ in rounds[name]]
            best[name] = min(cpus)
            wall = min(w for _, w in rounds[name])
            calls = calls_per_send(sms, min(args.sends, 500))
            print(
                f"{name:9} CPU per send {best[name] * 1e6:6.0f} µs best, "
                f"{statistics.median(cpus) * 1e6:6.0f} µs median; wall {wall * 1e6:6.0f} µs; "
                f"{calls:5.0f} Python calls per send"
            )
        saved = best["requests"] - best["urllib3"]
        print(
            f"urllib3 saves {saved * 1e6:.0f} µs CPU per send "
            f"({saved / best['requests']:.0%}); at that cost one core sends "
            f"{1 / best['urllib3']:.0f}/s (requests: {1 / best['requests']:.0f}/s)"
        )
        for sms in channels.values():
            sms.close()
    finally:
        fake.kill()


if __name__ == "__main__":
    main()
