"""A database that goes away for a moment: what was done meanwhile is not forgotten."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

import notifier
from notifier.store import db, notifications
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime
from tests.conftest import example
from tests.fakes.twilio import FakeTwilio


def cut(statement: str) -> OperationalError:
    return OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))


def test_a_transaction_is_tried_again_while_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "RECONNECT_WAITS", (0.0, 0.0, 0.0))
    tries: list[int] = []

    def work() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise cut("COMMIT")
        return "done"

    assert db.retrying_on_disconnect(work) == "done"
    assert len(tries) == 3


def test_after_the_last_wait_the_error_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "RECONNECT_WAITS", (0.0, 0.0))

    def work() -> None:
        raise cut("SELECT 1")

    with pytest.raises(OperationalError):
        db.retrying_on_disconnect(work)


def test_a_send_whose_outcome_could_not_be_written_at_once_is_recorded_sent_and_sent_once(
    live: Runtime, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "RECONNECT_WAITS", (0.0, 0.0))
    record_outcome = notifications.record_outcome
    writes: list[str] = []

    def record_after_a_restart(*args: Any) -> bool:
        writes.append(str(args[3]))  # the status
        if len(writes) == 1:
            raise cut("UPDATE notifications")
        return record_outcome(*args)

    monkeypatch.setattr(notifications, "record_outcome", record_after_a_restart)
    notifier.publish(example("order_placed"), runtime=live)

    assert len(fake_twilio.messages) == 1
    assert writes == ["sent", "sent"]
    [record] = message_records(live.db_url)
    assert record["status"] == "sent"
