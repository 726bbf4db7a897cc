"""When to try a transient failure again (pure): exponential backoff, jitter, Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable

from notifier.decide.policy import RetryPolicy


def backoff_seconds(
    attempt: int,
    policy: RetryPolicy,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait before attempt `attempt + 1`: doubling from `base_seconds`, ±50 % jitter so
    retries of many messages spread out, capped at `max_seconds`, never before Retry-After."""
    doubled = policy.base_seconds * 2.0 ** max(0, attempt - 1)
    jittered = min(policy.max_seconds, doubled) * (0.5 + rand())
    return max(min(policy.max_seconds, jittered), retry_after or 0.0)


def gives_up(attempt: int, policy: RetryPolicy) -> bool:
    """True when `attempt` was the last one the policy allows."""
    return attempt >= policy.max_attempts
