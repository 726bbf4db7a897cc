"""One contract, every channel: a receipt on success; Transient or Permanent on failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from adapters.channels.base import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    TransientSendError,
)
from adapters.channels.console import ConsoleChannel
from adapters.channels.smtp import SmtpChannel
from adapters.channels.twilio import Sender, TwilioChannel
from tests.fakes.smtp import FakeSmtp, free_port
from tests.fakes.twilio import FakeTwilio

MESSAGE = OutboundMessage(
    notification_id=7, kind="order_shipped", channel="sms", to="+525512345678",
    body="Pedido MX-5001: va en camino. Sigue tu envío: https://track.example.com/EST1",
    subject="Tu pedido MX-5001 va en camino", html="<p>Va en camino</p>",
)  # fmt: skip
EMAIL = OutboundMessage(**{**MESSAGE.__dict__, "channel": "email", "to": "ana@example.com"})


@dataclass
class Harness:
    """A channel under test and the levers of the fake behind it."""

    channel: Channel
    message: OutboundMessage
    received: Callable[[], int]
    fail_permanently: Callable[[], None]
    fail_transiently: Callable[[], None]
    unreachable: Channel


def twilio_harness(name: str, twilio: FakeTwilio) -> Harness:
    def build(base_url: str) -> TwilioChannel:
        sender = Sender("+15005550006") if name == "sms" else Sender("whatsapp:+14155238886")
        return TwilioChannel.build(
            name, twilio.account_sid, twilio.auth_token, sender, base_url=base_url, timeout=2
        )

    return Harness(
        build(twilio.base_url),
        MESSAGE,
        lambda: len(twilio.messages),
        lambda: twilio.fail_next(1, status=400, code=21211),
        lambda: twilio.fail_next(1, status=503),
        build(f"http://127.0.0.1:{free_port()}"),
    )


def smtp_harness(smtp: FakeSmtp) -> Harness:
    def build(port: int) -> SmtpChannel:
        return SmtpChannel.from_url(f"smtp://{smtp.host}:{port}", "tienda@example.com", 2)

    return Harness(
        build(smtp.port),
        EMAIL,
        lambda: len(smtp.messages),
        lambda: smtp.fail_next(1, 550, "mailbox unavailable"),
        lambda: smtp.fail_next(1, 451, "try again later"),
        build(free_port()),
    )


@pytest.fixture(params=["sms", "whatsapp", "email"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "email":
        with FakeSmtp() as smtp:
            yield smtp_harness(smtp)
        return
    with FakeTwilio() as twilio:
        built = twilio_harness(request.param, twilio)
        yield built
        for channel in (built.channel, built.unreachable):
            channel.close()  # type: ignore[attr-defined]


def test_a_sent_message_gets_a_provider_receipt(harness: Harness) -> None:
    receipt = harness.channel.send(harness.message)
    assert receipt.provider_message_id
    assert harness.received() == 1


def test_a_permanent_refusal_raises_permanent_with_the_code(harness: Harness) -> None:
    harness.fail_permanently()
    with pytest.raises(PermanentSendError) as caught:
        harness.channel.send(harness.message)
    assert caught.value.code in ("21211", "550")
    assert harness.received() == 0


def test_a_passing_failure_raises_transient(harness: Harness) -> None:
    harness.fail_transiently()
    with pytest.raises(TransientSendError):
        harness.channel.send(harness.message)
    assert harness.channel.send(harness.message).provider_message_id
    assert harness.received() == 1


def test_an_unreachable_provider_is_transient(harness: Harness) -> None:
    with pytest.raises(TransientSendError):
        harness.unreachable.send(harness.message)


def test_errors_never_show_the_full_recipient(harness: Harness) -> None:
    harness.fail_permanently()
    with pytest.raises(PermanentSendError) as caught:
        harness.channel.send(harness.message)
    assert harness.message.to not in str(caught.value)


def test_console_accepts_everything_and_masks_the_recipient(
    capsys: pytest.CaptureFixture[str],
) -> None:
    receipt = ConsoleChannel().send(MESSAGE)
    assert receipt.provider_message_id == "console-7"
    printed = capsys.readouterr().out
    assert "+52******5678" in printed and MESSAGE.to not in printed
