"""The messages a batch planned claimed go out together: one statement starts every provider
call, the calls run concurrently, one transaction records every outcome."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import update

from notifier.pipeline.process_batch import process_events_here
from notifier.pipeline.send_batch import SEND_CONCURRENCY, send_claimed_batch
from notifier.store.db import get_engine, session_scope
from notifier.store.models import Notification
from notifier.store.sending import record_outcomes
from notifier.store.timeline import message_records
from notifier.vocabulary import NotificationStatus
from notifier.workers.runtime import Runtime, build_runtime
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.pipeline.test_pipeline import HoldingDispatcher
from tests.pipeline.test_process_batch import counted, placed, stored
from tests.providers import policy_text, provider_settings

ORDERS = 30


@pytest.fixture
def sending(
    postgres_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> Iterator[Runtime]:
    """PostgreSQL, sending SMS through the real Twilio adapter to the fake over HTTP."""
    settings = provider_settings(postgres_url, fake_twilio, fake_smtp, policy_file)
    runtime = build_runtime(settings, console=io.StringIO())
    runtime.dispatcher = HoldingDispatcher()
    yield runtime
    runtime.close()


def sms_orders(count: int) -> list[dict[str, Any]]:
    events = []
    for n in range(count):
        event = placed(n)
        event["customer"] |= {"phone": f"+5255{n:08d}", "channels": ["sms"]}
        events.append(event)
    return events


def by_status(runtime: Runtime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in message_records(runtime.db_url):
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return counts


def test_a_batch_is_sent_with_one_statement_to_start_and_one_transaction_to_record(
    sending: Runtime, fake_twilio: FakeTwilio
) -> None:
    planned = process_events_here(sending, stored(sending, sms_orders(ORDERS)))
    commits: list[object] = []

    def commit(connection: object) -> None:
        commits.append(connection)

    engine = get_engine(sending.db_url)
    sqlalchemy_event.listen(engine, "commit", commit)
    with counted(sending.db_url) as statements:
        retries = send_claimed_batch(sending, planned.claimed)
    sqlalchemy_event.remove(engine, "commit", commit)
    assert retries == []
    assert sorted(m.to for m in fake_twilio.messages) == [f"+5255{n:08d}" for n in range(ORDERS)]
    assert by_status(sending) == {"sent": ORDERS}
    # per part of SEND_CONCURRENCY messages, one statement starts the calls and one writes
    # every outcome (alike: one set of columns), each its own commit
    parts = -(-ORDERS // SEND_CONCURRENCY)
    starts = [s for s in statements if "provider_called_at" in s]
    assert len(starts) == parts  # not one per message
    assert len(statements) == 2 * parts, statements
    assert len(commits) == 2 * parts


def test_a_message_whose_claim_was_taken_over_is_not_sent_and_the_rest_are(
    sending: Runtime, fake_twilio: FakeTwilio
) -> None:
    planned = process_events_here(sending, stored(sending, sms_orders(3)))
    taken = planned.claimed[1].notification.id
    with session_scope(sending.db_url) as session:  # the reconciler took it over meanwhile
        session.execute(update(Notification).where(Notification.id == taken).values(claim_token=2))
    send_claimed_batch(sending, planned.claimed)
    assert len(fake_twilio.messages) == 2
    statuses = {r["id"]: r["status"] for r in message_records(sending.db_url)}
    assert statuses.pop(taken) == "sending"  # left to its new holder
    assert set(statuses.values()) == {"sent"}


def test_a_transient_failure_in_a_batch_is_queued_for_a_retry_after_retry_after(
    sending: Runtime, fake_twilio: FakeTwilio
) -> None:
    planned = process_events_here(sending, stored(sending, sms_orders(4)))
    fake_twilio.fail_for_numbers({"+525500000002": (429, 20429)})
    retries = send_claimed_batch(sending, planned.claimed)
    [retry] = retries
    record = next(r for r in message_records(sending.db_url) if r["id"] == retry.notification_id)
    assert (record["status"], record["to"]) == ("queued", "+525500000002")
    assert retry.delay is not None and retry.delay > 0
    assert by_status(sending) == {"sent": 3, "queued": 1}


def test_a_call_that_waited_for_its_rate_limit_slot_has_its_start_written_again(
    sending: Runtime, fake_twilio: FakeTwilio, policy_file: Path
) -> None:
    policy_file.write_text(policy_text(rate=1.0))  # a slot a second: the third waits 2 s
    slow = build_runtime(sending.settings, console=io.StringIO())
    slow.dispatcher = HoldingDispatcher()
    planned = process_events_here(slow, stored(slow, sms_orders(3)))
    send_claimed_batch(slow, planned.claimed)
    with session_scope(slow.db_url) as session:
        called = sorted(
            n.provider_called_at for n in session.query(Notification) if n.provider_called_at
        )
    assert len(fake_twilio.messages) == 3
    # the reconciler searches Twilio from the call's real start, not the batch's
    assert (called[-1] - called[0]).total_seconds() >= 1.5


def test_outcomes_are_written_only_over_each_messages_own_claim(sending: Runtime) -> None:
    planned = process_events_here(sending, stored(sending, sms_orders(3)))
    ids = [c.notification.id for c in planned.claimed]
    with session_scope(sending.db_url) as session:  # taken over after the call started
        session.execute(update(Notification).where(Notification.id == ids[0]).values(claim_token=2))
    sent = {"error": None, "provider_message_id": "SM1", "updated_at": datetime.now(UTC)}
    with session_scope(sending.db_url) as session:
        written = record_outcomes(session, [(i, 1, NotificationStatus.SENT, sent) for i in ids])
    assert written == set(ids[1:])
    statuses = {r["id"]: r["status"] for r in message_records(sending.db_url)}
    assert statuses == {ids[0]: "sending", ids[1]: "sent", ids[2]: "sent"}
