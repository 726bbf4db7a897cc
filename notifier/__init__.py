"""Notifier: proactive order notifications for e-commerce.

`notifier.publish(event)` is the Python way into the one ingest path the CLI and HTTP API use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifier.intake.ingest import Accepted
    from notifier.workers.runtime import Runtime

__all__ = ["publish"]


def publish(event: bytes | str | dict[str, Any], *, runtime: Runtime | None = None) -> Accepted:
    """Validate, store and enqueue one event (see notifier.intake.ingest.publish)."""
    from notifier.intake.ingest import publish as _publish
    from notifier.workers.runtime import get_runtime

    return _publish(runtime or get_runtime(), event)
