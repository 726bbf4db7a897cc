"""The tasks by name, bound to a runtime; the dramatiq actors and the inline runner share them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from notifier import broker, delivery, platform_intake, processing, support

if TYPE_CHECKING:
    from notifier.runtime import Runtime


def handlers(runtime: Runtime) -> dict[str, Callable[[int], Any]]:
    """Each task name mapped to its function with the runtime bound."""
    return {
        broker.PROCESS_EVENT: partial(processing.process_event, runtime),
        broker.DELIVER: partial(delivery.deliver_or_retry_inline, runtime),
        broker.FORWARD: partial(support.forward, runtime),
        broker.PLATFORM_FETCH: partial(platform_intake.fetch_inline, runtime),
    }
