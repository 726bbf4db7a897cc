"""A worker that dies between its claim and writing down the outcome leaves a message `sending`
with no channel or recipient: the reconciler asks the provider by the customer's phone, in the
window that starts when the provider call started (not at the claim), and sends again without
asking when the call never started."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

import notifier
from adapters.channels.base import Channel as ChannelAdapter
from adapters.channels.base import OutboundMessage, Receipt
from notifier.store.db import session_scope
from notifier.store.models import Notification
from notifier.store.timeline import message_records
from notifier.vocabulary import Channel, NotificationStatus
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import Clock
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.faults import phone, placed
from tests.providers import provider_settings

SLOT_WAIT = timedelta(seconds=30)  # the longest the rate limit makes a send wait


class WorkerDied(BaseException):
    """A SIGKILL, in-process: no `except Exception` catches it, nothing after it is written."""


class SlowSlot:
    """The rate limit's wait as the clock sees it: the send goes `SLOT_WAIT` after the claim."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def acquire(self, sender: str, per_second: float) -> float:
        self.clock.now += SLOT_WAIT
        return SLOT_WAIT.total_seconds()


class DiesWaitingForASlot:
    def acquire(self, sender: str, per_second: float) -> float:
        raise WorkerDied


class DiesAfterTheProviderTookIt:
    """The real channel, whose worker is killed the moment the provider answered."""

    def __init__(self, channel: ChannelAdapter) -> None:
        self.name = channel.name
        self.channel = channel

    def send(self, message: OutboundMessage) -> Receipt:
        self.channel.send(message)
        raise WorkerDied


@pytest.fixture
def on_postgres(
    postgres_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> Iterator[Runtime]:
    """PostgreSQL, the fake Twilio over HTTP, a clock the test moves (starting
    `SLOT_WAIT` ago, so that a send after a slow slot happens now, as the fake dates it)."""
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy_file)
    clock = Clock(datetime.now(UTC) - SLOT_WAIT)
    runtime = build_runtime(settings, clock=clock, console=io.StringIO())
    yield runtime
    runtime.close()


def clock_of(runtime: Runtime) -> Clock:
    assert isinstance(runtime.clock, Clock)
    return runtime.clock


def as_if_its_worker_died_mid_send(runtime: Runtime, order: str) -> None:
    """Put the message back as a claim leaves it: `sending`, nothing written down."""
    with session_scope(runtime.db_url) as session:
        session.execute(
            update(Notification)
            .where(Notification.order_id == order)
            .values(status=NotificationStatus.SENDING, channel=None, recipient=None, body=None,
                    provider_message_id=None, sent_at=None, error=None, history=[],
                    updated_at=datetime.now(UTC))
        )  # fmt: skip


def record(runtime: Runtime, order: str) -> dict[str, Any]:
    [found] = message_records(runtime.db_url, order_id=order)
    return found


def test_a_send_the_provider_took_before_its_worker_died_is_found_not_sent_again(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    notifier.publish(placed(1, "died"), runtime=live)
    as_if_its_worker_died_mid_send(live, "ord-died-1")

    tick(live, datetime.now(UTC) + timedelta(minutes=2))

    [accepted] = fake_twilio.messages
    found = record(live, "ord-died-1")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert (found["channel"], found["to"]) == ("sms", phone(1))
    assert found["history"][-1]["outcome"] == "reconciled"


def test_a_send_that_never_reached_the_provider_before_its_worker_died_is_sent_once(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(1, status=500)  # the first try is refused: the provider has nothing
    live.policy = live.policy.model_copy(
        update={"retry": live.policy.retry.model_copy(update={"max_attempts": 1})}
    )
    notifier.publish(placed(2, "died"), runtime=live)
    as_if_its_worker_died_mid_send(live, "ord-died-2")

    tick(live, datetime.now(UTC) + timedelta(minutes=2))

    [accepted] = fake_twilio.messages
    found = record(live, "ord-died-2")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert [h["outcome"] for h in found["history"]] == ["requeued", "sent"]
    assert "does not have it" in found["history"][0]["note"]


def test_the_customers_other_message_in_the_same_minute_is_not_taken_for_the_lost_one(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    first = placed(3, "died")
    notifier.publish(first, runtime=live)  # sent and recorded
    fake_twilio.fail_next(1, status=500)
    live.policy = live.policy.model_copy(
        update={"retry": live.policy.retry.model_copy(update={"max_attempts": 1})}
    )
    second = placed(3, "again")  # the same customer and phone, another order
    second["customer"]["id"] = first["customer"]["id"]
    notifier.publish(second, runtime=live)
    as_if_its_worker_died_mid_send(live, "ord-again-3")

    tick(live, datetime.now(UTC) + timedelta(minutes=2))

    assert [m.to for m in fake_twilio.messages] == [phone(3), phone(3)]
    sids = {record(live, order)["provider_message_id"] for order in ("ord-died-3", "ord-again-3")}
    assert sids == {m.sid for m in fake_twilio.messages}


def test_a_message_claimed_when_planned_whose_worker_died_before_sending_is_sent_once(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    from notifier.pipeline.process import process_event_here
    from tests.pipeline.test_pipeline import HoldingDispatcher

    holding = HoldingDispatcher()
    inline, live.dispatcher = live.dispatcher, holding
    notifier.publish(placed(4, "died"), runtime=live)
    [(_, row)] = holding.tasks
    assert len(process_event_here(live, row).claimed) == 1  # then its worker died
    assert record(live, "ord-died-4")["status"] == "sending"
    live.dispatcher = inline

    tick(live, datetime.now(UTC) + timedelta(minutes=2))

    [accepted] = fake_twilio.messages
    found = record(live, "ord-died-4")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert [h["outcome"] for h in found["history"]] == ["requeued", "sent"]


def test_a_send_that_started_late_after_its_claim_whose_worker_died_is_found_not_sent_again(
    on_postgres: Runtime, fake_twilio: FakeTwilio
) -> None:
    clock, sms = clock_of(on_postgres), on_postgres.channels[Channel.SMS]
    on_postgres.limiter = SlowSlot(clock)  # claimed, then 30 s waiting for a slot
    on_postgres.channels[Channel.SMS] = DiesAfterTheProviderTookIt(sms)
    with pytest.raises(WorkerDied):
        notifier.publish(placed(5, "late"), runtime=on_postgres)
    on_postgres.channels[Channel.SMS] = sms  # a worker that came back

    tick(on_postgres, clock.now + timedelta(minutes=2))

    [accepted] = fake_twilio.messages
    found = record(on_postgres, "ord-late-5")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert found["history"][-1]["outcome"] == "reconciled"


def test_a_message_whose_worker_died_before_the_provider_call_is_sent_again_without_asking(
    on_postgres: Runtime, fake_twilio: FakeTwilio
) -> None:
    clock, limiter = clock_of(on_postgres), on_postgres.limiter
    on_postgres.limiter = DiesWaitingForASlot()
    with pytest.raises(WorkerDied):
        notifier.publish(placed(6, "early"), runtime=on_postgres)
    on_postgres.limiter = limiter
    clock.now = datetime.now(UTC)

    tick(on_postgres, clock.now + timedelta(minutes=2))

    [accepted] = fake_twilio.messages
    found = record(on_postgres, "ord-early-6")
    assert (found["status"], found["provider_message_id"]) == ("sent", accepted.sid)
    assert [h["outcome"] for h in found["history"]] == ["requeued", "sent"]
    assert "never called" in found["history"][0]["note"]
    assert fake_twilio.list_queries == []  # Twilio was not asked
