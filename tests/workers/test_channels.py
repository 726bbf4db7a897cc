"""Real channels in the embedded mode: Twilio (a fake over real HTTP) and SMTP (aiosmtpd)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Customer, Notification
from notifier.store.timeline import message_records
from notifier.vocabulary import NotificationStatus
from notifier.workers.runtime import Runtime, build_runtime
from notifier.workers.scheduler import tick
from tests.conftest import example
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.providers import SMS_FROM, WHATSAPP_FROM, content_sid, provider_settings


def placed(**customer: Any) -> dict[str, Any]:
    event = example("order_placed")
    event["customer"].update(customer)
    return event


def only_record(runtime: Runtime) -> dict[str, Any]:
    """The order's confirmation (the late-order scan may plan others once time moves on)."""
    records = message_records(runtime.db_url, order_id="ord-5001")
    [record] = [r for r in records if r["kind"] == "order_confirmed"]
    return record


def test_whatsapp_outside_the_window_sends_the_approved_template(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    notifier.publish(placed(), runtime=live)
    [sent] = fake_twilio.messages
    assert sent.to == "whatsapp:+525512345678"
    assert sent.from_ == f"whatsapp:{WHATSAPP_FROM}"
    assert sent.content_sid == content_sid("order_confirmed", "es")
    assert sent.content_variables == {"1": "Ana", "2": "MX-5001"}
    assert sent.body is None
    assert sent.status_callback == "https://notifier.example.com/webhooks/twilio/status"
    record = only_record(live)
    assert (record["channel"], record["status"]) == ("whatsapp", "sent")
    assert record["to"] == "+525512345678"


def test_whatsapp_without_a_template_for_the_locale_falls_back_to_sms(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    notifier.publish(placed(locale="pt-BR"), runtime=live)
    [sent] = fake_twilio.messages
    assert (sent.to, sent.from_) == ("+525512345678", SMS_FROM)
    assert sent.body and "MX-5001" in sent.body
    record = only_record(live)
    assert record["channel"] == "sms"
    assert "no approved WhatsApp template" in record["history"][0]["error"]


def test_sms_21211_falls_back_to_email(
    live: Runtime, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp
) -> None:
    fake_twilio.fail_for_numbers({"+525512345678": (400, 21211)})
    notifier.publish(placed(channels=["sms", "email"]), runtime=live)
    [mail] = fake_smtp.messages
    assert mail.rcpt_tos == ("ana@example.com",)
    assert "MX-5001" in str(mail.message["Subject"])
    record = only_record(live)
    assert (record["channel"], record["status"]) == ("email", "sent")
    assert [h["outcome"] for h in record["history"]] == ["failed", "sent"]
    assert record["history"][0]["code"] == "21211"


def test_21610_marks_the_customer_opted_out_of_that_channel(
    live: Runtime, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp
) -> None:
    fake_twilio.fail_for_numbers({"+525512345678": (400, 21610)})
    notifier.publish(placed(channels=["sms", "email"]), runtime=live)
    with session_scope(live.db_url) as session:
        customer = session.get(Customer, "cus-100")
        assert customer is not None and customer.opted_out == ["sms"]
    fake_twilio.reset()
    shipped = example("order_shipped")
    shipped["customer"]["channels"] = ["sms", "email"]
    notifier.publish(shipped, runtime=live)
    assert fake_twilio.attempts == []  # no SMS tried any more
    assert len(fake_smtp.messages) == 2


def test_rate_limited_send_is_retried_after_retry_after(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(1, status=429, code=20429, retry_after=1)
    notifier.publish(placed(), runtime=live)
    first, second = fake_twilio.attempts
    assert not first.accepted and second.accepted
    assert second.received_at - first.received_at >= 1.0
    record = only_record(live)
    assert (record["status"], record["attempts"]) == ("sent", 2)


def test_server_errors_are_retried_then_failed_with_the_last_error(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(10, status=500)
    notifier.publish(placed(channels=["whatsapp"]), runtime=live)
    record = only_record(live)
    assert record["status"] == "failed"
    assert record["error"].startswith("gave up after 4 attempts: Twilio 20500 (HTTP 500)")
    assert len(fake_twilio.attempts) == 4


def test_timeout_after_sending_is_unknown_then_reconciled_without_resending(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> None:
    settings = provider_settings(
        sqlite_url, fake_twilio, fake_smtp, policy_file, twilio_timeout=0.3
    )
    runtime = build_runtime(settings, console=io.StringIO())
    fake_twilio.hang_next(1, seconds=1.0)
    notifier.publish(placed(), runtime=runtime)
    record = only_record(runtime)
    assert record["status"] == "sending"
    assert record["error"].startswith("outcome unknown")
    later = datetime.now(UTC) + timedelta(minutes=2)
    tick(runtime, later)
    record = only_record(runtime)
    [accepted] = fake_twilio.messages
    assert (record["status"], record["provider_message_id"]) == ("sent", accepted.sid)
    assert len(fake_twilio.attempts) == 1
    runtime.close()


def test_message_of_a_dead_worker_is_sent_once_after_reconciling(
    live: Runtime, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(1, status=500)  # so the first try leaves the row queued …
    live.policy = live.policy.model_copy(
        update={"retry": live.policy.retry.model_copy(update={"max_attempts": 1})}
    )
    with session_scope(live.db_url) as session:  # … as if a worker had claimed it and died
        notifier.publish(placed(), runtime=live)
        session.execute(
            update(Notification).values(
                status=NotificationStatus.SENDING, updated_at=datetime.now(UTC), error=None
            )
        )
    tick(live, datetime.now(UTC) + timedelta(minutes=2))
    record = only_record(live)
    assert record["status"] == "sent"
    assert len(fake_twilio.messages) == 1
