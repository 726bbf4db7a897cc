"""The logs of a whole run in the production shape (api, worker and scheduler as processes, on
PostgreSQL and Redis, sending through the fake Twilio and SMTP) carry no token, no secret, no
full phone number and no full email address."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    WorkerStarter,
    answers,
    app_env,
    journey,
    notifier_command,
    stop,
    wait_until,
)
from tests.fakes.smtp import FakeSmtp, free_port
from tests.fakes.twilio import FakeTwilio, inbound_form, sign
from tests.providers import PUBLIC_URL, policy_text, provider_env, provider_settings
from tests.workers.test_redis_postgres import settled

pytestmark = pytest.mark.slow

INGEST = "ingest-secret-of-the-run"
OPS = "ops-token-of-the-run"
CUSTOMER_PHONE = "5512345678"  # +52 55 1234 5678, the journey's customer
FULL_NUMBER = re.compile(r"(?:\+|%2B)\d{8,}", re.IGNORECASE)


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


NO_REDIRECTS = urllib.request.build_opener(_Stay)


class Run:
    """The three processes of a deployment, each writing its log to a file."""

    def __init__(self, env: dict[str, str], folder: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.logs: list[Path] = []
        self.processes = [
            self._start(env, folder / "api.log", "api", "--port", str(port)),
            self._start(env, folder / "scheduler.log", "scheduler", "--interval", "0.5"),
        ]

    def _start(self, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
        self.logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen(notifier_command(*args), env=env, stdout=out, stderr=out)

    def call(self, path: str, body: bytes | None = None, **headers: str) -> int:
        """The status of one request (a redirect is not followed)."""
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with NO_REDIRECTS.open(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as answer:
            return answer.code

    def post_event(self, event: dict[str, Any]) -> None:
        body = json.dumps(event).encode()
        signature = "sha256=" + hmac.new(INGEST.encode(), body, hashlib.sha256).hexdigest()
        self.call("/events", body, **{"X-Notifier-Signature": signature})

    def stop(self) -> None:
        for process in self.processes:
            stop(process)


@pytest.fixture
def run(
    postgres_url: str, redis_url: str, start_worker: WorkerStarter, fake_twilio: FakeTwilio,
    fake_smtp: FakeSmtp, tmp_path: Path,
) -> Iterator[Run]:  # fmt: skip
    policy = tmp_path / "notifier.toml"
    policy.write_text(policy_text(email_copy=["order_confirmed"]))
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy, broker_url=redis_url)
    secrets = {"NOTIFIER_INGEST_SECRET": INGEST, "NOTIFIER_OPS_TOKEN": OPS}
    start_worker(provider_env(settings) | secrets)
    env = app_env(postgres_url, redis_url, **provider_env(settings), **secrets)
    deployment = Run(env, tmp_path, free_port())
    wait_until(lambda: answers(f"{deployment.base}/healthz"), what="the API to start")
    yield deployment
    deployment.stop()


def test_no_log_line_of_a_run_shows_a_token_a_secret_or_a_full_number(
    run: Run, fake_twilio: FakeTwilio, postgres_url: str, tmp_path: Path
) -> None:
    for event in journey():
        run.post_event(event)
        wait_until(lambda: settled(postgres_url), what=f"{event['event_id']} handled")
    assert run.call(f"/ops?token={OPS}") == 303  # uvicorn's access line holds the address
    assert run.call("/orders/ord-5001/messages", Authorization=f"Bearer {OPS}") == 200
    form = inbound_form(f"whatsapp:+521{CUSTOMER_PHONE}", "BAJA")
    signature = sign(PUBLIC_URL + "/webhooks/twilio/inbound", form, fake_twilio.auth_token)
    body = urllib.parse.urlencode(form).encode()
    assert run.call("/webhooks/twilio/inbound", body, **{"X-Twilio-Signature": signature}) == 200
    time.sleep(1.5)  # a few scheduler passes over what the run left
    run.stop()

    logs = {log.name: log.read_text() for log in [*run.logs, tmp_path / "worker.log"]}
    assert "/ops?token=***" in logs["api.log"] and '"logger": "uvicorn.access"' in logs["api.log"]
    assert '"message": "sent ' in logs["worker.log"]
    for name, text in logs.items():
        for line in text.splitlines():
            assert json.loads(line)["message"] is not None, f"{name}: not our JSON: {line}"
        for secret in (INGEST, OPS, fake_twilio.auth_token):
            assert secret not in text, f"{name} shows a secret"
        assert CUSTOMER_PHONE not in text, f"{name} shows the customer's number"
        assert not FULL_NUMBER.findall(text), f"{name}: {FULL_NUMBER.findall(text)[:3]}"
        assert "ana@example.com" not in text, f"{name} shows the customer's email"
