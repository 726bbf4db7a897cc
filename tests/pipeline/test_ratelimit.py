"""The shared rate limit hands out slots `1/rate` apart, across processes (through Redis)."""

from __future__ import annotations

import itertools

import pytest
import redis

import notifier
from notifier.pipeline.ratelimit import LocalRateLimiter, NoSlotSoon, RedisRateLimiter
from notifier.store.db import session_scope
from notifier.store.models import Notification
from notifier.vocabulary import NotificationStatus
from notifier.workers.runtime import Runtime
from tests.conftest import example
from tests.fakes.twilio import FakeTwilio


class RecordingSleep:
    """Records the waits instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_redis_slots_are_spaced_by_the_rate_for_every_limiter_on_the_sender(
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    first, second = RecordingSleep(), RecordingSleep()
    limiters = [RedisRateLimiter(client, first), RedisRateLimiter(client, second)]
    waits = [limiters[n % 2].acquire("sms", per_second=10) for n in range(6)]
    client.close()
    assert waits[0] == 0
    # six sends reserved back to back: each 0.1 s after the one before, whoever asked
    steps = [later - earlier for earlier, later in itertools.pairwise(waits)]
    assert all(0.09 <= step <= 0.1 for step in steps), steps
    assert len(first.waits) + len(second.waits) == 5


def test_each_sender_has_its_own_schedule(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    limiter = RedisRateLimiter(client, RecordingSleep())
    limiter.acquire("sms", per_second=1)
    assert limiter.acquire("email", per_second=1) == 0
    assert limiter.acquire("sms", per_second=1) > 0.9
    client.close()


def test_local_limiter_keeps_the_same_schedule_in_process() -> None:
    limiter = LocalRateLimiter(RecordingSleep())
    waits = [limiter.acquire("whatsapp", per_second=20) for _ in range(4)]
    assert waits[0] == 0
    assert 0.14 <= waits[3] <= 0.15


def test_a_slot_further_than_the_longest_wait_is_refused_and_reserves_nothing(
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    sleep = RecordingSleep()
    limiter = RedisRateLimiter(client, sleep)
    assert limiter.acquire("sms", per_second=0.02) == 0  # the next slot is 50 s away
    for _ in range(3):
        with pytest.raises(NoSlotSoon) as refused:
            limiter.acquire("sms", per_second=0.02)
        assert 49 < refused.value.seconds <= 50  # not 100, 150: the refused reserved nothing
    client.close()
    assert sleep.waits == []  # nobody slept, nobody sent early


def test_the_local_limiter_refuses_a_far_slot_the_same_way() -> None:
    limiter = LocalRateLimiter(RecordingSleep())
    limiter.acquire("sms", per_second=0.02)
    with pytest.raises(NoSlotSoon):
        limiter.acquire("sms", per_second=0.02)
    with pytest.raises(NoSlotSoon) as again:
        limiter.acquire("sms", per_second=0.02)
    assert again.value.seconds <= 50


class NoSlotForAMinute:
    """A limiter whose next slot is always a minute away (a burst far beyond the rate)."""

    def acquire(self, sender: str, per_second: float) -> float:
        raise NoSlotSoon(60.0)


def test_a_send_put_off_for_its_slot_spends_none_of_its_attempts(
    live: Runtime, monkeypatch: pytest.MonkeyPatch, fake_twilio: FakeTwilio
) -> None:
    monkeypatch.setattr("notifier.pipeline.deliver.time.sleep", lambda seconds: None)
    live.limiter = NoSlotForAMinute()
    notifier.publish(example("order_placed"), runtime=live)
    assert fake_twilio.messages == []
    with session_scope(live.db_url) as session:
        [message] = session.query(Notification).all()
        assert (message.status, message.attempts) == (NotificationStatus.QUEUED, 0)
        assert {h["outcome"] for h in message.history} == {"deferred"}
