"""Fixtures: databases (SQLite and a real PostgreSQL), a real Redis, runtimes and workers.

Tests that need PostgreSQL or Redis skip when the server cannot be reached, except in CI
(`CI=true`), where they fail: a green CI run must have used the real servers.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from notifier.config import Settings
from notifier.store import migrate, shop_webhooks
from notifier.store.db import dispose_engines, get_engine
from notifier.workers.runtime import Runtime, build_runtime

pytest_plugins = ["tests.providers", "tests.faults"]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEMPLATES = ROOT / "templates"
POSTGRES_URL = os.environ.get(
    "NOTIFIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("NOTIFIER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TABLES = ("notifications", "events", "orders", "customers", "platform_notifications",
          "platform_order_states", "support_forwards", "handoffs", "job_runs", "carts",
          "shop_webhooks", "purchases", "order_codes", "link_clicks", "short_links")  # fmt: skip


class Clock:
    """A clock the test moves: set `now`, and the runtime built with it reads that time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def unavailable(what: str, why: Exception) -> None:
    """Skip locally, fail in CI."""
    message = f"{what} is not reachable ({type(why).__name__}: {why})"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def example(name: str) -> dict[str, Any]:
    """A contract example event by file name (without .json)."""
    loaded: dict[str, Any] = json.loads((DATA / "events" / f"{name}.json").read_text())
    return loaded


# What the contract's journey gives for ord-5001: each kind sent once (the ETA update breaks the
# promise: a delay notice), the in-transit updates canceled by out-for-delivery, and the review
# request waiting for its day.
JOURNEY_SENT = ["order_confirmed", "order_shipped", "delay_notice", "out_for_delivery",
                "order_delivered"]  # fmt: skip
JOURNEY_OUTCOME = {
    "sent": Counter(JOURNEY_SENT),
    "canceled": Counter({"in_transit_update": 5}),
    "scheduled": Counter({"review_request": 1}),
}
# The same journey published as one batch (one POST, one file): its events are applied together
# before anything is sent, so the delay notice, made obsolete by out-for-delivery in the same
# batch, is canceled instead of sent.
JOURNEY_AS_ONE_BATCH_SENT = [kind for kind in JOURNEY_SENT if kind != "delay_notice"]
JOURNEY_AS_ONE_BATCH = {
    "sent": Counter(JOURNEY_AS_ONE_BATCH_SENT),
    "canceled": Counter({"in_transit_update": 5, "delay_notice": 1}),
    "scheduled": Counter({"review_request": 1}),
}


def outcome(records: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Kinds counted per status."""
    result: dict[str, Counter[str]] = {}
    for record in records:
        result.setdefault(record["status"], Counter())[record["kind"]] += 1
    return result


def sent_kinds(records: list[dict[str, Any]]) -> list[str]:
    """The kinds that went out, in the order they were planned."""
    done = ("sent", "delivered")
    return [r["kind"] for r in sorted(records, key=lambda r: r["id"]) if r["status"] in done]


def journey() -> list[dict[str, Any]]:
    """The contract's whole journey, in order."""
    lines = (DATA / "journey.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# Each invalid event: the change to a valid order.placed (or a raw text) and what the error says.
INVALID_EVENTS: dict[str, tuple[str | dict[str, Any], str]] = {
    "bad JSON": ('{"event_id": ', "(body): invalid JSON"),
    "unknown type": ({"type": "order.lost"}, "type: unknown event type 'order.lost'"),
    "missing order id": ({"order": {"number": "MX-1"}}, "order.id: Field required"),
    "bad phone": ({"customer": {"id": "c", "phone": "5512345678"}}, "customer.phone"),
    "no offset": ({"occurred_at": "2026-11-10T21:00:00"}, "occurred_at"),
    "wrong type": ({"customer": {"id": "c", "orders_count": "many"}}, "customer.orders_count"),
}


def invalid_event(case: str) -> tuple[str, str]:
    """The JSON text of an invalid event and the words its rejection must contain."""
    change, expected = INVALID_EVENTS[case]
    if isinstance(change, str):
        return change, expected
    event = example("order_placed")
    event.update(change)
    return json.dumps(event), expected


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    dispose_engines()
    shop_webhooks.close_outboxes()  # a test's runtime hands nothing to the next test's


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/notifier.db"


def settings_for(database_url: str, broker_url: str = "memory://", **extra: Any) -> Settings:
    """Settings for a test: no policy file, the project's templates, nothing from the env."""
    return Settings(
        database_url=database_url,
        broker_url=broker_url,
        templates_dir=TEMPLATES,
        policy_file=None,
        **extra,
    )


@pytest.fixture
def console() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def runtime(sqlite_url: str, console: io.StringIO) -> Runtime:
    """The embedded mode on a fresh SQLite file; console output captured."""
    return build_runtime(settings_for(sqlite_url), console=console)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards."""
    admin_url = make_url(POSTGRES_URL)
    name = f"notifier_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        unavailable("PostgreSQL", exc)
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated."""
    with fresh_postgres_database() as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    with get_engine(postgres_database).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    return postgres_database


@pytest.fixture
def redis_url() -> str:
    """A real Redis database, emptied for this test."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


def app_env(database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    """The environment for a notifier subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFIER_", "TWILIO_"))}
    env.update(
        NOTIFIER_DATABASE_URL=database_url,
        NOTIFIER_BROKER_URL=broker_url,
        NOTIFIER_TEMPLATES_DIR=str(TEMPLATES),
        **extra,
    )
    return env


def notifier_command(*args: str) -> list[str]:
    """The installed `notifier` command, run by this interpreter."""
    return [sys.executable, "-m", "notifier.cli.main", *args]


WorkerStarter = Callable[[dict[str, str]], subprocess.Popen[bytes]]


@pytest.fixture
def start_worker(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[WorkerStarter]:
    """Starts real `notifier worker`s (dramatiq, 2 processes) on Redis and PostgreSQL, with
    extra environment; all are stopped at the end of the test."""
    started: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "worker.log").open("wb")

    def start(extra: dict[str, str]) -> subprocess.Popen[bytes]:
        env = app_env(postgres_url, redis_url, NOTIFIER_WORKER_PROCESSES="2", **extra)
        process = subprocess.Popen(
            notifier_command("worker"), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)
    log.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process, killing it if it does not stop within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def worker(start_worker: WorkerStarter) -> subprocess.Popen[bytes]:
    """A real `notifier worker` with the console channel."""
    return start_worker({})


def answers(url: str) -> bool:
    """True when a GET of `url` answers 200 (a server has started)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_until(
    condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition"
) -> None:
    """Poll until `condition()` holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
