"""The `notifier` command (CONTRACT §3)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from notifier.errors import NotifierError
from notifier.logs import configure_logging

Handler = Callable[[argparse.Namespace], int]


def _iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset (e.g. 2026-11-20T15:00Z)")
    return moment


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per CONTRACT §3 entry."""
    parser = argparse.ArgumentParser(prog="notifier", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="a store day in the embedded mode")
    publish = sub.add_parser("publish", help="publish events from files or stdin (-)")
    publish.add_argument("files", nargs="+", help="JSON object, array or JSON lines; - is stdin")
    sub.add_parser("worker", help="run the dramatiq workers on the configured Redis broker")
    scheduler = sub.add_parser("scheduler", help="run the scheduler loop")
    scheduler.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    tick = sub.add_parser("tick", help="one scheduler pass")
    tick.add_argument("--now", type=_iso, help="as of this ISO time (with offset)")
    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    messages = sub.add_parser("messages", help="what was sent, scheduled, canceled or failed")
    messages.add_argument("--order")
    messages.add_argument("--customer")
    messages.add_argument("--json", action="store_true")
    _templates_parser(sub)
    handoffs = sub.add_parser("handoffs", help="conversations waiting for a person")
    handoffs.add_argument("action", nargs="?", choices=["close"], help="close one (by ID)")
    handoffs.add_argument("id", nargs="?", type=int, help="the handoff to close")
    handoffs.add_argument("--open", action="store_true", help="only the open ones")
    handoffs.add_argument("--json", action="store_true")
    report = sub.add_parser("report", help="what the messages cost and earned, for a period")
    report.add_argument("--since", type=_iso, help="from this ISO time (default: 7 days ago)")
    report.add_argument("--until", type=_iso, help="to this ISO time (default: now)")
    report.add_argument("--json", action="store_true")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])
    return parser


def _templates_parser(sub: Any) -> None:
    templates = sub.add_parser("templates", help="check or preview message templates")
    actions = templates.add_subparsers(dest="action", required=True)
    actions.add_parser("check", help="render every template against sample events")
    preview = actions.add_parser("preview", help="print one rendered message")
    preview.add_argument("kind")
    preview.add_argument("--channel", required=True, choices=["sms", "whatsapp", "email"])
    preview.add_argument("--locale", default=None)
    preview.add_argument("--event", type=Path, help="an event file to render against")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `notifier` command; the exit status."""
    configure_logging(logging.WARNING)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `notifier messages | head` ends quietly
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except NotifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from notifier.cli import commands
    from notifier.cli.report import report

    handlers: dict[str, Handler] = {
        "demo": commands.demo,
        "publish": commands.publish,
        "worker": commands.worker,
        "scheduler": commands.scheduler,
        "tick": commands.tick,
        "api": commands.api,
        "messages": commands.messages,
        "templates": commands.templates,
        "db": commands.db,
        "handoffs": commands.handoffs,
        "report": report,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
