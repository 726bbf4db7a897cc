"""The composition root: everything a task needs, built once from the settings (database,
policy, renderer, channels, limiter, dispatcher), and the tasks by name bound to it.

The layers below are handed this object through the narrow Protocols they declare
(`ports.Core`, `pipeline.parts.Parts`, `care.parts.Parts`); none of them imports it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TextIO

import redis

from adapters.channels.base import Channel as ChannelAdapter
from adapters.webhooks.standard import StandardWebhookSender
from notifier import ports
from notifier.care import choice_actions, support
from notifier.config import Settings, get_settings
from notifier.decide.policy import Policy, load_policy
from notifier.intake import platforms
from notifier.logs import hide_secrets
from notifier.messages.rendering import Renderer, renderer_for
from notifier.pipeline import deliver, process, process_batch, shop_webhooks
from notifier.pipeline.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from notifier.store import shop_webhooks as outbox
from notifier.store.migrate import ensure_schema
from notifier.vocabulary import Channel, utcnow
from notifier.workers import broker
from notifier.workers.channels import build_channels

Clock = ports.Clock


@dataclass
class Runtime:
    """The notifier's parts for one configuration."""

    settings: Settings
    policy: Policy
    renderer: Renderer
    channels: dict[Channel, ChannelAdapter]
    clock: Clock = utcnow
    dispatcher: ports.Dispatcher = field(init=False)
    limiter: RateLimiter = field(init=False)
    shop_webhooks: StandardWebhookSender | None = field(init=False, default=None)

    @property
    def db_url(self) -> str:
        return self.settings.database_url

    def close(self) -> None:
        """Release the channels' (and the shop webhooks') pooled connections."""
        for adapter in [*self.channels.values(), self.shop_webhooks]:
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
    hide_secrets(settings.secret_values())
    ensure_schema(settings.database_url)
    runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        renderer=renderer_for(settings),
        channels=build_channels(settings, console),
        clock=clock,
    )
    runtime.dispatcher = _dispatcher(runtime)
    runtime.limiter = _limiter(settings)
    _connect_the_shop(runtime)
    return runtime


def _connect_the_shop(runtime: Runtime) -> None:
    """With NOTIFIER_SHOP_WEBHOOK_URL set, the outbox of this database is open: its new rows
    are handed to delivery after each commit. Unset, it is closed and costs nothing."""
    settings = runtime.settings
    if settings.shop_webhook_url is None or settings.shop_webhook_secret is None:
        outbox.close_outbox(settings.database_url)
        return
    runtime.shop_webhooks = StandardWebhookSender(
        settings.shop_webhook_url.get_secret_value(),
        settings.shop_webhook_secret.get_secret_value(),
        settings.shop_webhook_timeout,
    )
    outbox.open_outbox(settings.database_url, partial(_hand_over, runtime))


def _hand_over(runtime: Runtime, webhook_ids: list[int]) -> None:
    size = shop_webhooks.IDS_PER_MESSAGE
    ports.send_in_batches(runtime.dispatcher, ports.SHOP_WEBHOOKS, webhook_ids, size)


def _limiter(settings: Settings) -> RateLimiter:
    if settings.is_embedded:
        return LocalRateLimiter()
    return RedisRateLimiter(redis.Redis.from_url(settings.broker_url))


def handlers(runtime: Runtime) -> dict[str, Callable[[Any], Any]]:
    """Each task name mapped to its function with the runtime bound; the dramatiq actors and
    the inline dispatcher share them."""
    return {
        ports.PROCESS_EVENT: partial(process.process_event, runtime),
        ports.PROCESS_EVENTS: partial(process_batch.process_events, runtime),
        ports.DELIVER: partial(deliver.deliver_or_retry_inline, runtime),
        ports.DELIVER_BATCH: partial(deliver.deliver_batch_inline, runtime),
        ports.FORWARD: partial(support.forward, runtime),
        ports.PLATFORM_FETCH: partial(platforms.fetch_inline, runtime),
        ports.SHOP_WEBHOOKS: partial(shop_webhooks.deliver, runtime),
        ports.SHOP_ACTION: partial(choice_actions.carry_out, runtime),
    }


def _dispatcher(runtime: Runtime) -> ports.Dispatcher:
    if runtime.settings.is_embedded:
        return broker.InlineDispatcher(handlers(runtime))
    return broker.DramatiqDispatcher(broker.make_redis_broker(runtime.settings.broker_url))


_DEFAULT: list[Runtime] = []


def get_runtime() -> Runtime:
    """The process-wide runtime built from the environment (workers, CLI, API)."""
    if not _DEFAULT:
        _DEFAULT.append(build_runtime(get_settings()))
    return _DEFAULT[0]
