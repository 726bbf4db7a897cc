"""NOTIFIER_SHOP_WEBHOOK_URL / NOTIFIER_SHOP_WEBHOOK_SECRET: a Standard Webhooks secret
(`whsec_<base64>`), checked at start with an error that names the variable and never the
secret; the backoff the policy gives to webhooks the shop did not take."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from notifier.config import Settings
from notifier.errors import ConfigError
from notifier.store.shop_webhooks import Backoff
from tests.fakes.shop import SECRET

URL = "https://shop.example.com/hooks?token=abc"
TOO_SHORT = "whsec_" + base64.b64encode(b"sixteen bytes!!!").decode()


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFIER_SHOP_WEBHOOK_URL", "NOTIFIER_SHOP_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_the_settings_are_read_from_the_contract_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTIFIER_SHOP_WEBHOOK_URL", URL)
    monkeypatch.setenv("NOTIFIER_SHOP_WEBHOOK_SECRET", SECRET)
    settings = Settings()
    assert settings.shop_webhook_url is not None and settings.shop_webhook_secret is not None
    assert settings.shop_webhook_url.get_secret_value() == URL
    assert settings.shop_webhook_secret.get_secret_value() == SECRET
    assert SECRET in settings.secret_values() and URL in settings.secret_values()
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (SECRET.removeprefix("whsec_"), "the prefix is missing"),
        ("whsec_not*base64*at*all!!", "not base64"),
        (TOO_SHORT, "24 to 64 bytes, not 16"),
    ],
)
def test_a_malformed_secret_stops_the_start_naming_the_variable_not_the_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str, why: str
) -> None:
    monkeypatch.setenv("NOTIFIER_SHOP_WEBHOOK_URL", URL)
    monkeypatch.setenv("NOTIFIER_SHOP_WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError) as raised:
        Settings()
    message = str(raised.value)
    assert "NOTIFIER_SHOP_WEBHOOK_SECRET" in message and why in message
    assert secret.removeprefix("whsec_") not in message


def test_a_url_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIER_SHOP_WEBHOOK_URL", URL)
    with pytest.raises(ConfigError, match="NOTIFIER_SHOP_WEBHOOK_SECRET is required"):
        Settings()


def test_both_unset_is_the_default() -> None:
    settings = Settings()
    assert settings.shop_webhook_url is None and settings.shop_webhook_secret is None


def test_the_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(timedelta(seconds=30), timedelta(hours=1))
    waits = [backoff.after(attempts) for attempts in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1) and backoff.after(10_000) == timedelta(hours=1)
