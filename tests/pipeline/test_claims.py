"""Every write of a send is tied to its claim: a sender whose claim was taken over (by the
reconciler, then a second sender) neither calls the provider nor writes its outcome over the
second sender's. On PostgreSQL, with the fake Twilio over HTTP; the senders are threads."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import notifier
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import wait_until
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.faults import placed
from tests.providers import provider_settings

# As if the first sender had been stuck for two minutes: the reconciler's grace is one.
LATER = timedelta(minutes=2)


@pytest.fixture
def on_postgres(
    postgres_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> Iterator[Runtime]:
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy_file)
    runtime = build_runtime(settings, console=io.StringIO())
    yield runtime
    runtime.close()


class HeldSlot:
    """The first send waits for its slot until the test lets it go; the others go at once."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.go = threading.Event()

    def acquire(self, sender: str, per_second: float) -> float:
        if self.waiting.is_set():
            return 0.0
        self.waiting.set()
        assert self.go.wait(30)
        return 0.0


def first_sender(runtime: Runtime, event_number: int) -> threading.Thread:
    """A worker publishing an order (and sending its confirmation) in a thread of its own."""
    event = placed(event_number, "slow")
    thread = threading.Thread(target=notifier.publish, args=(event,), kwargs={"runtime": runtime})
    thread.start()
    return thread


def test_a_sender_whose_claim_was_taken_over_while_it_waited_does_not_call_the_provider(
    on_postgres: Runtime, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    slot = on_postgres.limiter = HeldSlot()
    first = first_sender(on_postgres, 1)
    assert slot.waiting.wait(30)

    tick(on_postgres, datetime.now(UTC) + LATER)  # taken over and sent by a second sender
    slot.go.set()
    first.join(30)

    [accepted] = fake_twilio.messages
    [found] = message_records(on_postgres.db_url, order_id="ord-slow-1")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert "was taken over" in caplog.text and "the provider was not called" in caplog.text


def test_a_late_outcome_of_a_claim_taken_over_does_not_overwrite_the_second_senders(
    on_postgres: Runtime, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    fake_twilio.fail_next(1, status=500)  # the first sender's call: refused, after 3 s
    fake_twilio.hang_next(1, 3.0)
    fake_twilio.hang_next(1, 6.0)  # the second sender's: accepted, answered 3 s after that
    first = first_sender(on_postgres, 2)
    wait_until(lambda: len(fake_twilio.attempts) == 1, what="the first sender's call")

    tick(on_postgres, datetime.now(UTC) + LATER)  # meanwhile the first one heard its 500
    first.join(30)

    [accepted] = fake_twilio.messages
    [found] = message_records(on_postgres.db_url, order_id="ord-slow-2")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert [h["outcome"] for h in found["history"]] == ["requeued", "sent"]
    assert "its outcome (queued) not written" in caplog.text
