"""Runtimes wired to the local fakes of Twilio and SMTP (real HTTP and SMTP on loopback)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from notifier.config import Settings
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import TEMPLATES
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio

PUBLIC_URL = "https://notifier.example.com"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"
JOURNEY_KINDS = ["order_confirmed", "order_shipped", "delay_notice", "out_for_delivery",
                 "order_delivered"]  # fmt: skip


def content_sid(kind: str, locale: str) -> str:
    """A stable, well-formed ContentSid per kind and locale, for test policies."""
    return "HX" + hashlib.md5(f"{kind}/{locale}".encode()).hexdigest()


def policy_text(**overrides: Any) -> str:
    """A policy file with WhatsApp templates for the journey kinds in es and en; `variables`
    ({kind: [expression]}) adds template variables after the first name and order number."""
    lines = [
        f"email_copy = {overrides.get('email_copy', [])!r}".replace("'", '"'),
        "[retry]",
        f"max_attempts = {overrides.get('max_attempts', 4)}",
        f"base_seconds = {overrides.get('base_seconds', 0.01)}",
        "max_seconds = 0.2",
        "[rate_limits]",
        f"sms = {overrides.get('rate', 1000.0)}",
        f"whatsapp = {overrides.get('rate', 1000.0)}",
        f"email = {overrides.get('rate', 1000.0)}",
    ]
    variables = overrides.get("variables", {})
    for kind in JOURNEY_KINDS:
        extra = "".join(f', "{{{{ {source} }}}}"' for source in variables.get(kind, []))
        lines += [
            f"[whatsapp_templates.{kind}]",
            f'variables = ["{{{{ customer.first_name }}}}", "{{{{ order.number }}}}"{extra}]',
            f"[whatsapp_templates.{kind}.content_sid]",
            f'es = "{content_sid(kind, "es")}"',
            f'en = "{content_sid(kind, "en")}"',
        ]
    return "\n".join(lines) + "\n"


def provider_settings(
    database_url: str,
    twilio: FakeTwilio,
    smtp: FakeSmtp,
    policy_file: Path,
    broker_url: str = "memory://",
    **extra: Any,
) -> Settings:
    """Settings that send through the fakes."""
    return Settings(
        database_url=database_url,
        broker_url=broker_url,
        templates_dir=TEMPLATES,
        policy_file=policy_file,
        public_url=PUBLIC_URL,
        twilio_base_url=twilio.base_url,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=SecretStr(twilio.auth_token),
        twilio_sms_from=SMS_FROM,
        twilio_whatsapp_from=f"whatsapp:{WHATSAPP_FROM}",
        smtp_url=SecretStr(f"smtp://{smtp.host}:{smtp.port}"),
        **extra,
    )


def provider_env(settings: Settings) -> dict[str, str]:
    """The same settings as environment variables, for worker subprocesses."""
    assert settings.twilio_auth_token and settings.smtp_url and settings.policy_file
    return {
        "NOTIFIER_PUBLIC_URL": PUBLIC_URL,
        "NOTIFIER_TWILIO_BASE_URL": settings.twilio_base_url,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token.get_secret_value(),
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": f"whatsapp:{WHATSAPP_FROM}",
        "NOTIFIER_SMTP_URL": settings.smtp_url.get_secret_value(),
        "NOTIFIER_POLICY_FILE": str(settings.policy_file),
    }


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as twilio:
        yield twilio


@pytest.fixture
def fake_smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp() as smtp:
        yield smtp


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "notifier.toml"
    path.write_text(policy_text())
    return path


@pytest.fixture
def live(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> Iterator[Runtime]:
    """The embedded mode sending through the fakes."""
    runtime = build_runtime(
        provider_settings(sqlite_url, fake_twilio, fake_smtp, policy_file),
        console=io.StringIO(),
    )
    yield runtime
    runtime.close()
