"""The policy file (TOML) that ops edit, and its defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from notifier.errors import NotifierError
from notifier.models import Kind

ChannelName = Literal["whatsapp", "sms", "email"]


class PolicyError(NotifierError):
    """The policy file cannot be read or has a bad value (named)."""


class Section(BaseModel):
    """Every section refuses unknown keys, so a typo fails at start instead of being ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WhatsAppTemplate(Section):
    """An approved WhatsApp template for one kind: its ContentSid per locale, and what fills
    its numbered variables ({{1}}, {{2}}, …), each a Jinja expression over the message's facts."""

    content_sid: dict[str, Annotated[str, Field(pattern=r"^HX[0-9a-fA-F]{32}$")]]
    variables: list[str] = []


class RetryPolicy(Section):
    """Transient failures: exponential backoff with jitter, honouring Retry-After, bounded."""

    max_attempts: Annotated[int, Field(ge=1, le=50)] = 6
    base_seconds: Annotated[float, Field(gt=0)] = 2.0
    max_seconds: Annotated[float, Field(gt=0)] = 300.0


class Policy(Section):
    """Delays, channel order and budgets; every field has the default that practice suggests."""

    channel_order: list[ChannelName] = ["whatsapp", "sms", "email"]
    channels_by_kind: dict[Kind, list[ChannelName]] = {}
    sms_max_segments: Annotated[int, Field(ge=1, le=10)] = 3
    # Kinds that also go by email (a written record) when the chat message went elsewhere.
    email_copy: list[Kind] = []
    whatsapp_templates: dict[Kind, WhatsAppTemplate] = {}
    retry: RetryPolicy = RetryPolicy()
    # Messages per second per sender, shared by every worker process (through Redis).
    rate_limits: dict[str, Annotated[float, Field(gt=0)]] = {
        "sms": 10.0,
        "whatsapp": 20.0,
        "email": 10.0,
    }

    @field_validator("rate_limits")
    @classmethod
    def _known_channels(cls, limits: dict[str, float]) -> dict[str, float]:
        unknown = set(limits) - {"sms", "whatsapp", "email"}
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)}: use sms, whatsapp, email")
        return limits

    def channels_for(self, kind: str) -> list[ChannelName]:
        """The default channel order for a kind when the customer states none."""
        return self.channels_by_kind.get(Kind(kind), self.channel_order)


def load_policy(path: Path | None) -> Policy:
    """Read the policy file; no file means the defaults."""
    if path is None:
        return Policy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Policy.model_validate(data)
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(f"policy file {path}: {problems}") from exc
