"""Settings from the environment (CONTRACT §2); the only module that reads it."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from notifier.errors import ConfigError

WEBHOOK_SECRET_PREFIX = "whsec_"
WEBHOOK_SECRET_BYTES = (24, 64)  # what the Standard Webhooks spec asks of a secret


def _default_templates_dir() -> Path:
    # `templates` in the working directory; else the project's own, next to the package.
    here = Path("templates")
    shipped = Path(__file__).resolve().parent.parent / "templates"
    return here if here.is_dir() or not shipped.is_dir() else shipped


def _default_policy_file() -> Path | None:
    candidate = Path("notifier.toml")
    return candidate if candidate.exists() else None


def check_webhook_secret(variable: str, secret: str) -> None:
    """Raise a ConfigError naming `variable` unless `secret` is `whsec_` and the base64 of 24
    to 64 bytes; the message never quotes the secret."""
    if not secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise ConfigError(f"{variable} must be in the form whsec_<base64> (the prefix is missing)")
    try:
        key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ConfigError(f"{variable} must be in the form whsec_<base64> (not base64)") from None
    shortest, longest = WEBHOOK_SECRET_BYTES
    if not shortest <= len(key) <= longest:
        raise ConfigError(f"{variable} must hold {shortest} to {longest} bytes, not {len(key)}")


def _env(name: str) -> Any:
    """A setting read from an environment variable of the contract's own name (no prefix)."""
    return Field(default=None, validation_alias=AliasChoices(name))


class Settings(BaseSettings):
    """Every setting of the notifier; names are the contract's environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="NOTIFIER_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    database_url: str = "sqlite:///notifier.db"
    broker_url: str = "memory://"
    templates_dir: Path = Field(default_factory=_default_templates_dir)
    policy_file: Path | None = Field(default_factory=_default_policy_file)
    default_locale: str = "es-MX"
    default_timezone: str = "America/Mexico_City"
    ingest_secret: SecretStr | None = None
    ops_token: SecretStr | None = None
    public_url: str | None = None
    email_from: str = "notificaciones@example.com"
    # The shop's voice (CONTRACT §6): its name opens every SMS and signs every email.
    shop_name: str | None = Field(default=None, min_length=1, max_length=40)
    # Per-locale email senders ('{"pt-BR": "Casa Lupita <ola@casalupita.com.br>"}', JSON), and
    # where replies to an email go (default: the support inbox; unset: emails invite no reply).
    email_from_by_locale: dict[str, str] = {}
    email_reply_to: str | None = None
    twilio_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_ACCOUNT_SID")
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN")
    )
    twilio_sms_from: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_SMS_FROM")
    )
    twilio_messaging_service_sid: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_MESSAGING_SERVICE_SID")
    )
    twilio_whatsapp_from: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_WHATSAPP_FROM")
    )
    twilio_timeout: float = 10.0
    smtp_url: SecretStr | None = None
    smtp_timeout: float = 10.0
    # Where a conversation that needs a person goes: an inbox (by SMTP) and/or a JSON webhook.
    support_email: str | None = None
    support_webhook_url: SecretStr | None = None  # may carry a token in its query string
    support_webhook_timeout: float = 10.0
    # Where the shop's backend hears what customers chose and what became of each message
    # (CONTRACT §6), signed per Standard Webhooks with a `whsec_<base64>` secret.
    shop_webhook_url: SecretStr | None = None  # may carry a token in its query string
    shop_webhook_secret: SecretStr | None = None
    shop_webhook_timeout: float = Field(default=10.0, gt=0)
    # Signs the ids of choice buttons and the links of an email's choices (CONTRACT §6); unset,
    # the installation makes its own key once and keeps it in the database (`app_secrets`).
    link_secret: SecretStr | None = Field(default=None, min_length=16)
    worker_processes: int = 2
    worker_threads: int = 8
    # Batches of events a worker process applies at once (the rest of its threads send, or
    # wait for a slot): more contend for the interpreter and PostgreSQL's locks, not the cores.
    worker_processing_slots: int = Field(default=2, ge=1, le=64)
    # Shop platforms (README "Connect your shop"): secrets, API credentials and API base URLs.
    shop_country: str = Field(default="MX", pattern=r"^[A-Za-z]{2}$")
    platform_timeout: float = 10.0
    shopify_webhook_secret: SecretStr | None = _env("SHOPIFY_WEBHOOK_SECRET")
    woocommerce_webhook_secret: SecretStr | None = _env("WOOCOMMERCE_WEBHOOK_SECRET")
    tiendanube_app_secret: SecretStr | None = _env("TIENDANUBE_APP_SECRET")
    tiendanube_access_token: SecretStr | None = _env("TIENDANUBE_ACCESS_TOKEN")
    tiendanube_base_url: str = "https://api.tiendanube.com"
    vtex_account: str | None = _env("VTEX_ACCOUNT")
    vtex_app_key: str | None = _env("VTEX_APP_KEY")
    vtex_app_token: SecretStr | None = _env("VTEX_APP_TOKEN")
    vtex_hook_key: SecretStr | None = _env("VTEX_HOOK_KEY")
    vtex_base_url: str | None = None  # https://{VTEX_ACCOUNT}.vtexcommercestable.com.br
    mercadolibre_access_token: SecretStr | None = _env("MERCADOLIBRE_ACCESS_TOKEN")
    mercadolibre_app_id: str | None = _env("MERCADOLIBRE_APP_ID")
    mercadolibre_base_url: str = "https://api.mercadolibre.com"
    # Shopify's Admin API (CONTRACT §6): both set, a customer's "cancel with a full refund" is
    # carried out at the shop (care/shop_actions.py).
    shopify_shop_domain: str | None = _env("SHOPIFY_SHOP_DOMAIN")  # casa-lupita.myshopify.com
    shopify_admin_token: SecretStr | None = _env("SHOPIFY_ADMIN_TOKEN")
    shopify_base_url: str | None = None  # https://{SHOPIFY_SHOP_DOMAIN}

    @field_validator("shop_webhook_secret")
    @classmethod
    def _standard_webhook_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        # A ConfigError, not a ValueError: pydantic would quote the value in its message.
        if secret is not None:
            check_webhook_secret("NOTIFIER_SHOP_WEBHOOK_SECRET", secret.get_secret_value())
        return secret

    @model_validator(mode="after")
    def _shop_webhooks_signed(self) -> Settings:
        if self.shop_webhook_url is not None and self.shop_webhook_secret is None:
            raise ConfigError(
                "NOTIFIER_SHOP_WEBHOOK_SECRET is required when NOTIFIER_SHOP_WEBHOOK_URL is set"
                " (webhooks to the shop are always signed)"
            )
        return self

    @property
    def is_embedded(self) -> bool:
        """True when work runs inside the calling process (`memory://`)."""
        return self.broker_url.startswith("memory://")

    def secret_values(self) -> list[str]:
        """The values of every secret setting (for the logs to hide)."""
        values = [getattr(self, name) for name in type(self).model_fields]
        return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]

    @property
    def reply_to(self) -> str | None:
        """Where a customer's reply to an email reaches a person, if anywhere."""
        return self.email_reply_to or self.support_email

    @property
    def twilio_configured(self) -> bool:
        """True when both Twilio credentials are set."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
