"""What the fault tests break: their own Redis and PostgreSQL servers (so a crash or a restart
disturbs nobody else's tests), and `notifier worker`s under a supervisor that starts a worker
again when it exits, as docker-compose's `restart: unless-stopped` does in production."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import IO, Any

import pytest
import redis
from sqlalchemy import create_engine, text

from notifier.config import Settings
from notifier.intake.ingest import store_and_enqueue, validate
from notifier.store import migrate
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime
from tests.conftest import ROOT, app_env, example, notifier_command, stop, unavailable
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.providers import provider_env, provider_settings

# The shipped retry policy (6 attempts, 2 s doubling); no rate limit worth waiting for.
FAULT_POLICY = """
[retry]
max_attempts = 6
base_seconds = 2.0
max_seconds = 300.0
[rate_limits]
sms = 5000.0
"""
REPORT = ROOT / "artifacts" / "faults.jsonl"


def placed(n: int, run: str) -> dict[str, Any]:
    """An `order.placed` of its own order, customer and phone, by SMS, happening now (no
    promise or ship-by date: the late-order scan has nothing to say about it)."""
    event = example("order_placed")
    event["event_id"] = f"evt-{run}-{n}"
    event["occurred_at"] = datetime.now(UTC).isoformat()
    event["order"] = {"id": f"ord-{run}-{n}", "number": f"F-{n}", "currency": "MXN",
                      "total": "10.00"}  # fmt: skip
    event["customer"] |= {"id": f"cus-{run}-{n}", "phone": phone(n), "channels": ["sms"]}
    return event


def phone(n: int) -> str:
    return f"+5255{n:08d}"


def publish_batches(runtime: Runtime, events: list[dict[str, Any]], size: int = 100) -> None:
    """Publish through the ingest path, a batch per transaction (as `POST /events` does)."""
    for start in range(0, len(events), size):
        store_and_enqueue(runtime, [validate(e) for e in events[start : start + size]])


def statuses(db_url: str) -> Counter[str]:
    return Counter(r["status"] for r in message_records(db_url))


_REPORTED: list[str] = []


def report(test: str, **figures: Any) -> None:
    """Keep what a fault test observed: in artifacts/faults.jsonl, and shown at the end of the
    test run (see `pytest_terminal_summary`)."""
    line = json.dumps({"test": test, "at": datetime.now(UTC).isoformat(), **figures})
    _REPORTED.append(line)
    REPORT.parent.mkdir(exist_ok=True)
    with REPORT.open("a") as out:
        out.write(line + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault tests' figures (duplicates, recovery times) at the end of the run."""
    if _REPORTED:
        terminalreporter.section("what the fault tests observed")
        for line in _REPORTED:
            terminalreporter.write_line(line)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class OwnRedis:
    """A redis-server of the test's own, without persistence: a restart comes back empty."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", FileNotFoundError("redis-server is not installed"))
        assert binary is not None
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def crash(self) -> None:
        """SIGKILL: everything it held (queued messages, acks, heartbeats) is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def depth(self) -> int:
        """Messages waiting in the notifier's queue (dramatiq's namespace)."""
        client = redis.Redis.from_url(self.url)
        try:
            waiting: int = client.llen("dramatiq:default")
            return waiting
        finally:
            client.close()

    def stop(self) -> None:
        self.crash()


class OwnPostgres:
    """A PostgreSQL cluster of the test's own (initdb, trust auth, a free port), run as the
    `postgres` OS user when the tests run as root (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            unavailable("PostgreSQL binaries", FileNotFoundError("/usr/lib/postgresql/*/bin"))
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="notifier-faults-pg-"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/notifier"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60",
                  "-l", str(self.folder / "server.log"), "-o", options, *extra)  # fmt: skip

    def start(self) -> None:
        """initdb, start, create the `notifier` database and migrate it."""
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        self._pg_ctl("start")
        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE notifier"))
        admin.dispose()
        migrate.upgrade(self.url)

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server is back in a moment."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # never started, or down
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@dataclass
class Supervisor:
    """Runs `notifier worker`s (and a `notifier scheduler`) and starts a worker again when it
    exits: dramatiq's main process shuts the whole worker down when one of its worker
    processes dies, and a service manager brings it back."""

    env: dict[str, str]
    log: IO[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    processes: int = 1
    restarts: int = 0
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start_workers(self, count: int, processes: int = 1) -> None:
        self.processes = processes
        for _ in range(count):
            self.workers.append(self._spawn_worker())
        threading.Thread(target=self._watch, daemon=True).start()

    def start_scheduler(self, interval: float = 1.0) -> None:
        self.others.append(self._spawn("scheduler", "--interval", str(interval)))

    def _spawn(self, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            notifier_command(*args), env={**self.env, **extra}, stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def _spawn_worker(self) -> subprocess.Popen[bytes]:
        return self._spawn("worker", NOTIFIER_WORKER_PROCESSES=str(self.processes))

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for index, process in enumerate(self.workers):
                    if process.poll() is not None and not self._stopping.is_set():
                        self.workers[index] = self._spawn_worker()
                        self.restarts += 1

    def worker_processes(self) -> list[int]:
        """The pids of dramatiq's worker processes (the children of each running worker)."""
        with self._lock:
            return [c for p in self.workers if p.poll() is None for c in children(p.pid)]

    def kill_a_worker_process(self, index: int) -> int:
        """SIGKILL one worker process of the `index`th worker; its pid."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with self._lock:
                process = self.workers[index % len(self.workers)]
                pids = children(process.pid) if process.poll() is None else []
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                return pids[0]
            time.sleep(0.2)
        pytest.fail("no running worker process to kill after 30 s")

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for process in [*self.workers, *self.others]:
                stop(process)


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[list[Supervisor]]:
    """Supervisors made by the test (see `supervisor`); all stopped at the end."""
    made: list[Supervisor] = []
    yield made
    for supervisor in made:
        supervisor.stop()
        supervisor.log.close()


def fault_settings(
    tmp_path: Path, database_url: str, broker_url: str, twilio: FakeTwilio, smtp: FakeSmtp
) -> Settings:
    """Settings that send through the fakes with the fault tests' policy (written here)."""
    policy = tmp_path / "notifier.toml"
    policy.write_text(FAULT_POLICY)
    return provider_settings(database_url, twilio, smtp, policy, broker_url=broker_url)


def supervisor(made: list[Supervisor], tmp_path: Path, settings: Settings) -> Supervisor:
    """A supervisor whose processes use these settings; logs in worker.log."""
    log = (tmp_path / "worker.log").open("ab")
    env = app_env(settings.database_url, settings.broker_url, **provider_env(settings))
    made.append(Supervisor(env, log))
    return made[-1]
