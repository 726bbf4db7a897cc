"""Concurrent `POST /events` requests are stored together, each answered with its own events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from notifier.http.batching import IngestBatcher
from notifier.intake.ingest import Accepted, ValidEvent, validate
from tests.conftest import example


def event(n: int) -> ValidEvent:
    return validate(example("order_placed") | {"event_id": f"evt-{n}"})


class Store:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, events: Sequence[ValidEvent]) -> list[Accepted]:
        self.calls.append([e.event.event_id for e in events])
        if self.fail:
            raise RuntimeError("the database is down")
        return [Accepted(e.event.event_id, duplicate=False) for e in events]


def test_requests_within_the_window_are_stored_in_one_batch_each_answered_its_own() -> None:
    store = Store()
    batcher = IngestBatcher(store, window=0.05)

    async def five_requests() -> list[list[Accepted]]:
        return await asyncio.gather(*(batcher.accept([event(n)]) for n in range(5)))

    answers = asyncio.run(five_requests())
    assert store.calls == [[f"evt-{n}" for n in range(5)]]
    assert [[a.event_id for a in answer] for answer in answers] == [[f"evt-{n}"] for n in range(5)]


def test_a_lone_request_waits_no_longer_than_the_window() -> None:
    store = Store()
    batcher = IngestBatcher(store, window=0.01)
    started = time.monotonic()
    [accepted] = asyncio.run(batcher.accept([event(1)]))
    assert accepted.event_id == "evt-1" and store.calls == [["evt-1"]]
    assert time.monotonic() - started < 1.0  # far below: the window is 10 ms


def test_a_full_batch_is_stored_at_once_and_a_failure_reaches_every_request() -> None:
    store = Store(fail=True)
    batcher = IngestBatcher(store, window=10.0)  # never waited for: 100 events fill a batch

    async def requests() -> list[BaseException | list[Accepted]]:
        small = [batcher.accept([event(n)]) for n in range(50)]
        big = batcher.accept([event(100 + n) for n in range(50)])
        return await asyncio.gather(*small, big, return_exceptions=True)

    answers = asyncio.run(requests())
    assert len(store.calls) == 1 and len(store.calls[0]) == 100
    assert all(isinstance(answer, RuntimeError) for answer in answers)


@pytest.mark.parametrize("size", [100, 150])
def test_a_request_of_a_whole_batch_is_not_held(size: int) -> None:
    store = Store()
    batcher = IngestBatcher(store, window=10.0)
    accepted = asyncio.run(batcher.accept([event(n) for n in range(size)]))
    assert len(accepted) == size and [len(call) for call in store.calls] == [size]
