#!/usr/bin/env python3
"""Set up and run the notifier from a fresh clone with nothing but Python 3.11.

    python3 dev.py demo    a store day in the embedded mode
    python3 dev.py test    ruff, mypy --strict, lint-imports, templates check, then pytest

Both create `.venv` and install the project into it when needed. `test` also makes sure Redis
and PostgreSQL answer on 127.0.0.1 (6379, 5432): it starts them when installed but stopped, and
installs them with apt-get when missing (as root, on Debian/Ubuntu); likewise Debian's Chromium and
chromedriver for the ops page's browser test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(
    *command: str | Path,
    check: bool = True,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    quiet: bool = False,
) -> int:
    output = subprocess.DEVNULL if quiet else None
    argv = [str(part) for part in command]
    return subprocess.run(argv, check=check, cwd=cwd, env=env, stdout=output).returncode


def ensure_venv() -> None:
    """Create .venv and install the project with its dev extras when pyproject changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not BIN.joinpath("python").exists():
        say("creating .venv")
        run(sys.executable, "-m", "venv", VENV)
    say("installing the project and its dependencies into .venv")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
    STAMP.write_text(wanted)


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(port: int, name: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(port):
            return
        time.sleep(0.5)
    sys.exit(f"{name} did not start on 127.0.0.1:{port}")


def apt_install(*packages: str) -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(f"please install {' '.join(packages)} (apt-get as root is not available here)")
    say(f"installing {' '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", *packages, env=env)


def ensure_redis() -> None:
    if answers(6379):
        return
    if shutil.which("redis-server") is None:
        apt_install("redis-server")
    say("starting Redis")
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    run("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis")  # fmt: skip
    wait_for(6379, "Redis")


def pg_clusters() -> list[str]:
    folder = Path("/etc/postgresql")
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def ensure_postgres() -> None:
    if answers(5432):
        return
    if not pg_clusters():
        apt_install("postgresql")
        trust_local_postgres()
    say("starting PostgreSQL")
    version = pg_clusters()[-1]
    run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start", check=False)
    wait_for(5432, "PostgreSQL")
    create_test_database()


def trust_local_postgres() -> None:
    """A freshly installed cluster: let the tests connect as postgres over 127.0.0.1."""
    for hba in Path("/etc/postgresql").glob("*/main/pg_hba.conf"):
        rules = hba.read_text()
        if "notifier-tests" not in rules:
            line = "host all postgres 127.0.0.1/32 trust  # notifier-tests\n"
            hba.write_text(line + rules)


def create_test_database() -> None:
    exists = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-tAc",
         "SELECT 1 FROM pg_database WHERE datname='test'"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if exists != "1":
        run("runuser", "-u", "postgres", "--", "createdb", "test", check=False)


def ensure_compose() -> None:
    """A Compose that can read docker-compose.yml (no Docker daemon needed for `config`)."""
    if shutil.which("docker-compose") is not None:
        return
    if shutil.which("docker") is not None and run("docker", "compose", "version",
                                                   check=False, quiet=True) == 0:  # fmt: skip
        return
    apt_install("--no-install-recommends", "docker-compose")


def ensure_browser() -> None:
    """Debian's Chromium and its driver, for the ops page's browser test."""
    if Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists():
        return
    apt_install("chromium", "chromium-driver")


def demo() -> int:
    ensure_venv()
    return run(BIN / "notifier", "demo", check=False, cwd=ROOT)


def test(pytest_args: list[str]) -> int:
    ensure_venv()
    ensure_redis()
    ensure_postgres()
    ensure_browser()
    ensure_compose()
    steps = [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["lint-imports"],
        ["notifier", "templates", "check"],
        ["pytest", *pytest_args],
    ]
    for step in steps:
        say(" ".join(step))
        quiet = step[0] == "notifier"  # prints a line per template; the summary is in pytest
        code = run(BIN / step[0], *step[1:], check=False, cwd=ROOT, quiet=quiet)
        if code != 0:
            say(f"failed: {' '.join(step)}")
            return code
    say("all green")
    return 0


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "demo":
        return demo()
    if command == "test":
        return test(sys.argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
