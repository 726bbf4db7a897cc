"""The policy file (TOML) that ops edit, and its defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from notifier.errors import NotifierError

ChannelName = Literal["whatsapp", "sms", "email"]


class PolicyError(NotifierError):
    """The policy file cannot be read or has a bad value (named)."""


class Policy(BaseModel):
    """Delays, channel order and budgets; every field has the default that practice suggests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel_order: list[ChannelName] = ["whatsapp", "sms", "email"]
    channels_by_kind: dict[str, list[ChannelName]] = {}
    sms_max_segments: Annotated[int, Field(ge=1, le=10)] = 3

    def channels_for(self, kind: str) -> list[ChannelName]:
        """The default channel order for a kind when the customer states none."""
        return self.channels_by_kind.get(kind, self.channel_order)


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
