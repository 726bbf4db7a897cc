"""A template that raises a plain Python error (a filter on a missing value) fails that message
for good, with its reason; it neither stays `sending` nor stops the scheduler."""

from __future__ import annotations

import io
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import notifier
from notifier.store.timeline import message_records
from notifier.workers import scheduler
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import TEMPLATES, Clock, example, settings_for

START = datetime.fromisoformat("2026-11-10T21:00:00+00:00")
BROKEN = "{{ order.refund_amount | money }}"  # an order placed has no refund: Decimal("None")


def broken_runtime(tmp_path: Path, sqlite_url: str, kind: str, clock: Clock) -> Runtime:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    for locale in ("es", "en", "pt-BR"):
        for name in ("sms.txt", "whatsapp.txt", "email.txt", "email.subject.txt"):
            (templates / locale / kind / name).write_text(BROKEN)
    settings = settings_for(sqlite_url).model_copy(update={"templates_dir": templates})
    return build_runtime(settings, clock=clock, console=io.StringIO())


def test_a_filter_error_fails_the_message_with_its_reason(tmp_path: Path, sqlite_url: str) -> None:
    clock = Clock(START)
    runtime = broken_runtime(tmp_path, sqlite_url, "order_confirmed", clock)
    notifier.publish(example("order_placed"), runtime=runtime)
    confirmed = [
        r for r in message_records(runtime.db_url, order_id="ord-5001")
        if r["kind"] == "order_confirmed"
    ]  # fmt: skip
    assert [r["status"] for r in confirmed] == ["failed"]
    assert "InvalidOperation" in (confirmed[0]["error"] or "")


def test_the_scheduler_survives_a_scheduled_message_that_cannot_render(
    tmp_path: Path, sqlite_url: str
) -> None:
    clock = Clock(START)
    runtime = broken_runtime(tmp_path, sqlite_url, "cart_reminder_1", clock)
    notifier.publish(example("cart_updated"), runtime=runtime)
    clock.now += timedelta(days=2)
    tick(runtime)  # raised before: one bad row stopped the pass
    reminders = [
        r for r in message_records(runtime.db_url, customer_id="cus-100")
        if r["kind"] == "cart_reminder_1"
    ]  # fmt: skip
    assert [r["status"] for r in reminders] == ["failed"]


def test_the_scheduler_loop_goes_on_after_a_pass_that_fails_unexpectedly(
    monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    passes: list[str] = []

    def one_pass(_: Runtime) -> int:
        passes.append("pass")
        if len(passes) == 1:
            raise RuntimeError("a bug in one row")
        return 0

    def sleep(_: float) -> None:
        if len(passes) >= 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(scheduler, "tick", one_pass)
    monkeypatch.setattr("notifier.workers.scheduler.time.sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        scheduler.run_forever(runtime, interval=0.01)
    assert passes == ["pass", "pass"]
