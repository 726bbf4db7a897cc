"""The `notifier` command as a user runs it: publish, messages, templates, db."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    DATA,
    INVALID_EVENTS,
    JOURNEY_OUTCOME,
    app_env,
    example,
    invalid_event,
    notifier_command,
    outcome,
    sent_kinds,
)


def run(
    *args: str, env: dict[str, str], stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        notifier_command(*args), env=env, input=stdin, capture_output=True, text=True,
        timeout=120, cwd=cwd,
    )  # fmt: skip


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    return app_env(sqlite_url, "memory://")


def messages(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    result = run("messages", "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    loaded: list[dict[str, Any]] = json.loads(result.stdout)
    return loaded


def test_publish_journey_twice_then_messages_lists_one_sent_per_kind(
    env: dict[str, str],
) -> None:
    journey = str(DATA / "journey.jsonl")
    first = run("publish", journey, env=env)
    second = run("publish", journey, env=env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("duplicate") == 7
    records = messages(env, "--order", "ord-5001")
    assert outcome(records) == JOURNEY_OUTCOME
    wanted = {"id", "order_id", "customer_id", "kind", "channel", "to", "status", "due_at",
              "sent_at", "body", "error"}  # fmt: skip
    assert all(wanted <= set(r) for r in records)


def test_publish_reads_an_array_from_stdin(env: dict[str, str]) -> None:
    events = [example("order_placed"), example("order_shipped")]
    result = run("publish", "-", env=env, stdin=json.dumps(events))
    assert result.returncode == 0, result.stderr
    status_lines = [line for line in result.stdout.splitlines() if line.startswith("accepted")]
    assert status_lines == ["accepted evt-0001", "accepted evt-0002"]
    assert "[console whatsapp → +52******5678] order_shipped" in result.stdout


@pytest.mark.parametrize("case", list(INVALID_EVENTS), ids=list(INVALID_EVENTS))
def test_invalid_event_exits_non_zero_naming_the_field_and_stores_nothing(
    env: dict[str, str], case: str
) -> None:
    text, expected = invalid_event(case)
    result = run("publish", "-", env=env, stdin=text)
    assert result.returncode == 1
    assert expected in result.stderr
    assert messages(env) == []


def test_oversized_event_is_rejected(env: dict[str, str]) -> None:
    event = example("order_placed")
    event["order"]["notes"] = "x" * (1024 * 1024)
    result = run("publish", "-", env=env, stdin=json.dumps(event))
    assert result.returncode == 1
    assert "over the 1 MiB limit" in result.stderr


def test_one_bad_line_does_not_stop_the_good_ones(env: dict[str, str], tmp_path: Path) -> None:
    bad = example("order_shipped")
    bad["order"] = {}
    lines = [json.dumps(example("order_placed")), json.dumps(bad)]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines))
    result = run("publish", str(path), env=env)
    assert result.returncode == 1
    assert f"rejected {path}:2: order.id: Field required" in result.stderr
    assert sent_kinds(messages(env)) == ["order_confirmed"]


def test_templates_check_passes_and_reports_segments(env: dict[str, str]) -> None:
    result = run("templates", "check", env=env)
    assert result.returncode == 0, result.stdout
    assert "0 failed" in result.stdout
    assert "UCS-2" in result.stdout and "GSM-7" in result.stdout


def test_templates_check_fails_on_a_broken_template(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "es" / "order_confirmed"
    folder.mkdir(parents=True)
    (folder / "sms.txt").write_text("{% if %}")
    result = run("templates", "check", env={**env, "NOTIFIER_TEMPLATES_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "FAIL es/order_confirmed/sms" in result.stdout


def test_templates_preview_renders_against_an_event_file(env: dict[str, str]) -> None:
    event = str(DATA / "events" / "order_shipped.json")
    result = run("templates", "preview", "order_shipped", "--channel", "email",
                 "--locale", "pt-BR", "--event", event, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Subject: ")
    assert "EST123456789MX" in result.stdout
    assert "<!doctype html>" in result.stdout.lower()


def test_db_upgrade_creates_the_schema(env: dict[str, str]) -> None:
    result = run("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert messages(env) == []


def test_worker_refuses_the_memory_broker(env: dict[str, str]) -> None:
    result = run("worker", env=env)
    assert result.returncode == 1
    assert "redis://" in result.stderr


@pytest.mark.parametrize(
    ("secrets", "missing"),
    [
        ({}, "NOTIFIER_INGEST_SECRET and NOTIFIER_OPS_TOKEN"),
        ({"NOTIFIER_OPS_TOKEN": "t"}, "NOTIFIER_INGEST_SECRET must"),
        ({"NOTIFIER_INGEST_SECRET": "s"}, "NOTIFIER_OPS_TOKEN must"),
    ],
)
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "notifier.internal"])
def test_api_refuses_to_listen_beyond_loopback_without_both_secrets(
    env: dict[str, str], host: str, secrets: dict[str, str], missing: str
) -> None:
    result = run("api", "--host", host, "--port", "1", env=env | secrets)
    assert result.returncode == 1
    assert f"refusing to listen on {host}: {missing}" in result.stderr
    assert "set them, or listen on 127.0.0.1" in result.stderr


def test_tick_now_drives_the_cart_reminders_through_time(env: dict[str, str]) -> None:
    cart = json.dumps(example("cart_updated") | {"occurred_at": "2026-11-10T16:00:00Z"})
    assert run("publish", "-", env=env, stdin=cart).returncode == 0
    early = run("tick", "--now", "2026-11-10T16:59:00Z", env=env)
    assert early.returncode == 0, early.stderr
    assert sent_kinds(messages(env)) == []
    run("tick", "--now", "2026-11-10T17:00:00Z", env=env)
    assert sent_kinds(messages(env)) == ["cart_reminder_1"]
    run("tick", "--now", "2026-11-11T16:00:00Z", env=env)
    assert sent_kinds(messages(env)) == ["cart_reminder_1", "cart_reminder_2"]


def test_a_wrong_policy_file_stops_the_command_naming_the_key(
    env: dict[str, str], tmp_path: Path
) -> None:
    policy = tmp_path / "notifier.toml"
    policy.write_text('[quiet_hours]\nstart = "25:00"\n')
    result = run("tick", env={**env, "NOTIFIER_POLICY_FILE": str(policy)})
    assert result.returncode == 1
    assert "quiet_hours.start" in result.stderr
