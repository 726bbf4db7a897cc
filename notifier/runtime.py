"""Everything a task needs, built once from the settings: database, policy, renderer, channels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

import redis

from adapters.base import Channel as ChannelAdapter
from notifier import broker
from notifier.channels import build_channels
from notifier.config import Settings, get_settings
from notifier.migrate import ensure_schema
from notifier.models import Channel, utcnow
from notifier.policy import Policy, load_policy
from notifier.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from notifier.rendering import Renderer

Clock = Callable[[], datetime]


@dataclass
class Runtime:
    """The notifier's parts for one configuration."""

    settings: Settings
    policy: Policy
    renderer: Renderer
    channels: dict[Channel, ChannelAdapter]
    clock: Clock = utcnow
    dispatcher: broker.Dispatcher = field(init=False)
    limiter: RateLimiter = field(init=False)

    @property
    def db_url(self) -> str:
        return self.settings.database_url

    def close(self) -> None:
        """Release the channels' pooled connections."""
        for adapter in self.channels.values():
            close = getattr(adapter, "close", None)
            if callable(close):
                close()

    @property
    def configured_channels(self) -> frozenset[Channel]:
        """The real channels a provider serves (empty: the console stands in)."""
        return frozenset(self.channels) - {Channel.CONSOLE}


def build_runtime(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    console: TextIO | None = None,
) -> Runtime:
    """Assemble the parts; SQLite is migrated on the spot, other databases must be current."""
    ensure_schema(settings.database_url)
    runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        renderer=Renderer(settings.templates_dir, settings.default_locale),
        channels=build_channels(settings, console),
        clock=clock,
    )
    runtime.dispatcher = _dispatcher(runtime)
    runtime.limiter = _limiter(settings)
    return runtime


def _limiter(settings: Settings) -> RateLimiter:
    if settings.is_embedded:
        return LocalRateLimiter()
    return RedisRateLimiter(redis.Redis.from_url(settings.broker_url))


def _dispatcher(runtime: Runtime) -> broker.Dispatcher:
    if runtime.settings.is_embedded:
        from notifier.tasks import handlers

        return broker.InlineDispatcher(handlers(runtime))
    return broker.DramatiqDispatcher(broker.make_redis_broker(runtime.settings.broker_url))


_DEFAULT: list[Runtime] = []


def get_runtime() -> Runtime:
    """The process-wide runtime built from the environment (workers, CLI, API)."""
    if not _DEFAULT:
        _DEFAULT.append(build_runtime(get_settings()))
    return _DEFAULT[0]
