"""What the pipeline's steps are handed: the core (database, clock, dispatcher, settings) with
the policy, the renderer, the channels and the rate limiter. `workers.runtime.Runtime` is one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from adapters.channels.base import Channel as ChannelAdapter
from notifier.decide.policy import Policy
from notifier.messages.rendering import Renderer
from notifier.pipeline.ratelimit import RateLimiter
from notifier.ports import Core
from notifier.vocabulary import Channel


class Parts(Core, Protocol):
    """Everything a step of the pipeline may use."""

    @property
    def policy(self) -> Policy: ...

    @property
    def renderer(self) -> Renderer: ...

    @property
    def channels(self) -> Mapping[Channel, ChannelAdapter]: ...

    @property
    def configured_channels(self) -> frozenset[Channel]: ...

    @property
    def limiter(self) -> RateLimiter: ...
