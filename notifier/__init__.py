"""Notifier: proactive order notifications for e-commerce.

`notifier.publish(event)` is the Python way into the one ingest path the CLI and HTTP API use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifier.ingest import Accepted
    from notifier.runtime import Runtime

__all__ = ["publish"]


def publish(event: bytes | str | dict[str, Any], *, runtime: Runtime | None = None) -> Accepted:
    """Validate, store and enqueue one event (see notifier.ingest.publish)."""
    from notifier.ingest import publish as _publish

    return _publish(event, runtime=runtime)
