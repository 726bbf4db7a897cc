"""What care is handed: the core (database, clock, dispatcher, settings), the policy (support
hours, the handoff rules), the channels (support's email goes through SMTP) and the renderer
(the replies to STOP, START and HELP).
`workers.runtime.Runtime` is one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from adapters.channels.base import Channel as ChannelAdapter
from notifier.decide.policy import Policy
from notifier.messages.rendering import Renderer
from notifier.ports import Core
from notifier.vocabulary import Channel


class Parts(Core, Protocol):
    """Everything care may use."""

    @property
    def policy(self) -> Policy: ...

    @property
    def channels(self) -> Mapping[Channel, ChannelAdapter]: ...

    @property
    def renderer(self) -> Renderer: ...
