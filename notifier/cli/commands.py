"""What each `notifier` subcommand does; cli.py only parses."""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from notifier.config import Settings, get_settings
from notifier.errors import ConfigError, InvalidEvent
from notifier.logs import configure_logging
from notifier.store import migrate
from notifier.store.timeline import message_records
from notifier.workers.runtime import build_runtime, get_runtime


def demo(_args: argparse.Namespace) -> int:
    """Play a store day in a temporary SQLite database and print every customer's messages."""
    from notifier.cli.demo import run_demo

    run_demo(sys.stdout, get_settings().templates_dir)
    return 0


def publish(args: argparse.Namespace) -> int:
    """Publish every event of the files; 0 only if all were accepted."""
    from notifier.intake.ingest import store_and_enqueue, validate

    runtime = get_runtime()
    rejected = 0
    for where, raw in _read_events(args.files):
        try:
            result = store_and_enqueue(runtime, [validate(raw)])[0]
        except InvalidEvent as exc:
            rejected += 1
            print(f"rejected {where}: {exc}", file=sys.stderr)
            continue
        state = "duplicate (already accepted)" if result.duplicate else "accepted"
        print(f"{state} {result.event_id}")
    return 1 if rejected else 0


def _read_events(files: list[str]) -> Iterator[tuple[str, str | dict[str, Any]]]:
    for name in files:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        yield from _split_events(name, text)


def _split_events(name: str, text: str) -> Iterator[tuple[str, str | dict[str, Any]]]:
    """A JSON object, an array of them, or JSON lines; each with where it came from."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) <= 1:
            yield name, text
            return
        for number, line in lines:
            yield f"{name}:{number}", line
        return
    if isinstance(whole, list):
        for index, item in enumerate(whole):
            yield f"{name}[{index}]", item
    else:
        yield name, text


def worker(_args: argparse.Namespace) -> int:
    """Replace this process with dramatiq's worker over our actors."""
    settings = get_settings()
    if settings.is_embedded:
        raise ConfigError("`notifier worker` needs NOTIFIER_BROKER_URL=redis://…")
    argv = [
        sys.executable, "-m", "notifier.workers.dramatiq_main", "notifier.workers.actors",
        "--skip-logging",
        "--processes", str(settings.worker_processes),
        "--threads", str(settings.worker_threads),
    ]  # fmt: skip
    os.execve(sys.executable, argv, worker_environment(os.environ))


# An idle worker polls Redis this often at most (dramatiq backs off up to its worker timeout,
# 1 s by default: a lone event would wait up to that long for a worker to notice it).
IDLE_POLL_MS = 20


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The worker processes' environment: dramatiq's idle poll set to IDLE_POLL_MS unless
    `dramatiq_worker_timeout` says otherwise."""
    return {"dramatiq_worker_timeout": str(IDLE_POLL_MS), **environ}


def scheduler(args: argparse.Namespace) -> int:
    """Run scheduler passes until interrupted."""
    from notifier.workers.scheduler import run_forever

    configure_logging(logging.INFO)  # what each pass did is worth a line, like the worker's
    run_forever(get_runtime(), interval=args.interval)
    return 0


def tick(args: argparse.Namespace) -> int:
    """One scheduler pass, as of now or of --now."""
    from notifier.workers.scheduler import tick as one_pass

    settings = get_settings()
    runtime = build_runtime(settings, clock=lambda: args.now) if args.now else get_runtime()
    handed = one_pass(runtime, args.now)
    print(f"handed {handed} due message(s) to delivery")
    return 0


def api(args: argparse.Namespace) -> int:
    """Serve the HTTP API with uvicorn; beyond loopback only with both secrets set."""
    import uvicorn

    refuse_open_listen(args.host, get_settings())
    configure_logging(logging.INFO)
    # log_config=None: uvicorn's lines go through our JSON handler like every other line
    uvicorn.run("notifier.http.app:app", host=args.host, port=args.port, log_config=None)
    return 0


def refuse_open_listen(host: str, settings: Settings) -> None:
    """Anyone who can reach a non-loopback address could post events (texting any number) or
    read customers' data: that needs NOTIFIER_INGEST_SECRET and NOTIFIER_OPS_TOKEN."""
    if _is_loopback(host):
        return
    missing = [
        name
        for name, value in (
            ("NOTIFIER_INGEST_SECRET", settings.ingest_secret),
            ("NOTIFIER_OPS_TOKEN", settings.ops_token),
        )
        if value is None
    ]
    if missing:
        raise ConfigError(
            f"refusing to listen on {host}: {' and '.join(missing)} must be set to serve "
            "beyond loopback (unsigned events could text any number; customers' data would "
            "be open); set them, or listen on 127.0.0.1"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def messages(args: argparse.Namespace) -> int:
    """List messages as a table, or as the JSON array of CONTRACT §3."""
    get_runtime()  # migrates the embedded database on first use
    records = message_records(get_settings().database_url, args.order, args.customer)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for r in records:
        when = r["sent_at"] or r["due_at"]
        print(f"{r['id']:>6} {when} {r['order_id'] or '-'} {r['kind']:<18} "
              f"{r['channel'] or '-':<8} {r['status']:<9} {r['error'] or ''}")  # fmt: skip
    return 0


def templates(args: argparse.Namespace) -> int:
    """`templates check` or `templates preview`."""
    from notifier.cli import templates as template_commands

    if args.action == "check":
        return template_commands.check(get_settings())
    return template_commands.preview(get_settings(), args)


def db(_args: argparse.Namespace) -> int:
    """`db upgrade`: apply the migrations."""
    url = get_settings().database_url
    migrate.upgrade(url)
    print("database is up to date")
    return 0


def handoffs(args: argparse.Namespace) -> int:
    """`handoffs [--open] [--json]` lists conversations for a person; `handoffs close ID`."""
    from notifier.care import handoffs as conversations

    runtime = get_runtime()
    if args.action == "close":
        if args.id is None:
            raise ConfigError("usage: notifier handoffs close ID")
        closed = conversations.close(runtime, args.id)
        print(f"handoff {closed['id']} is {closed['status']}")
        return 0
    records = conversations.records(runtime.db_url, only_open=args.open)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for h in records:
        who = (h["customer"] or {}).get("name") or h["customer_id"] or "unknown"
        last = h["messages"][-1] if h["messages"] else {}
        words = " ".join(str(last.get("text") or last.get("note") or "").split())[:60]
        flag = "PRIORITY " if h["priority"] else ""
        print(f"{h['id']:>5} {h['status']:<6} {flag}{who}: {words} (answer by {h['reply_by']})")
    return 0
