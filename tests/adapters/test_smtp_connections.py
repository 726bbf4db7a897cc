"""The SMTP channel keeps each thread's connection open, against the real aiosmtpd fake.

Connections are counted where the server accepts them (aiosmtpd's protocol object), and the
server can drop one of them from its side, as a server's idle timeout does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP as ServerProtocol

from adapters.channels.base import OutboundMessage, TransientSendError
from adapters.channels.smtp import SmtpChannel
from tests.fakes import smtp as fake_module
from tests.fakes.smtp import FakeSmtp

SENDER = "Tienda Ejemplo <pedidos@shop.example.com>"


@dataclass
class ServerSide:
    """One connection as the server holds it."""

    loop: asyncio.AbstractEventLoop
    transport: Any
    lost: threading.Event = field(default_factory=threading.Event)

    def drop(self) -> None:
        """Close it from the server's side and wait until it is gone."""
        self.loop.call_soon_threadsafe(self.transport.close)
        assert self.lost.wait(5)


@dataclass
class Accepted:
    connections: list[ServerSide] = field(default_factory=list)

    @property
    def open(self) -> list[ServerSide]:
        return [c for c in self.connections if not c.lost.is_set()]


@pytest.fixture
def accepted(monkeypatch: pytest.MonkeyPatch) -> Accepted:
    seen = Accepted()
    made, lost = ServerProtocol.connection_made, ServerProtocol.connection_lost

    def connection_made(self: Any, transport: Any) -> None:
        if not hasattr(self, "_test_side"):  # not again for the TLS layer after STARTTLS
            self._test_side = ServerSide(self.loop, transport)
            seen.connections.append(self._test_side)
        made(self, transport)

    def connection_lost(self: Any, error: Exception | None) -> None:
        lost(self, error)
        if hasattr(self, "_test_side"):
            self._test_side.lost.set()

    monkeypatch.setattr(ServerProtocol, "connection_made", connection_made)
    monkeypatch.setattr(ServerProtocol, "connection_lost", connection_lost)
    return seen


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp() as server:
        yield server


@pytest.fixture
def channel(smtp: FakeSmtp) -> Iterator[SmtpChannel]:
    built = SmtpChannel.from_url(f"smtp://{smtp.host}:{smtp.port}", SENDER, timeout=5.0)
    yield built
    built.close()


def outbound(n: int) -> OutboundMessage:
    return OutboundMessage(
        n, "order_shipped", "email", f"cliente{n}@example.com", f"Pedido {n}", subject=f"#{n}"
    )


def subjects(smtp: FakeSmtp) -> list[str]:
    return [str(received.message["Subject"]) for received in smtp.messages]


def test_many_messages_go_over_one_connection(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted
) -> None:
    for n in range(20):
        channel.send(outbound(n))

    assert subjects(smtp) == [f"#{n}" for n in range(20)]
    assert len(accepted.connections) == 1 and channel.connections.opened == 1


def test_starttls_and_auth_happen_once_per_connection(accepted: Accepted) -> None:
    with FakeSmtp(user="shop", password="s3cret", tls="starttls") as server:
        before = len(accepted.connections)  # aiosmtpd's own probe at start
        url = f"smtp://shop:s3cret@{server.host}:{server.port}?starttls=1"
        context = server.client_ssl_context()
        channel = SmtpChannel.from_url(url, SENDER, ssl_context=context)
        for n in range(5):
            channel.send(outbound(n))
        channel.close()
        assert len(server.messages) == 5
        assert all(m.tls and m.user == "shop" for m in server.messages)
    assert len(accepted.connections) - before == 1


def test_a_connection_the_server_dropped_between_sends_is_opened_again(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted
) -> None:
    channel.send(outbound(1))
    accepted.connections[0].drop()

    channel.send(outbound(2))  # MAIL meets a closed connection: a new one, and the message
    channel.send(outbound(3))

    assert subjects(smtp) == ["#1", "#2", "#3"]  # none lost, none twice
    assert len(accepted.connections) == 2


def test_an_idle_connection_is_checked_with_noop_first(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted
) -> None:
    channel.connections.noop_after = 0.0  # every reuse counts as idle
    channel.send(outbound(1))
    channel.send(outbound(2))  # NOOP answered: the same connection
    assert len(accepted.connections) == 1
    accepted.connections[0].drop()

    channel.send(outbound(3))  # NOOP fails: a new connection before MAIL

    assert subjects(smtp) == ["#1", "#2", "#3"]
    assert len(accepted.connections) == 2


def test_a_421_before_data_on_a_kept_connection_is_sent_on_a_new_one(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted
) -> None:
    channel.send(outbound(1))
    smtp.fail_next(1, 421, "4.4.2 closing: too many messages on this connection", at="RCPT")

    channel.send(outbound(2))

    assert subjects(smtp) == ["#1", "#2"]
    assert len(accepted.connections) == 2


def test_a_421_on_a_new_connection_is_transient_as_before(
    smtp: FakeSmtp, channel: SmtpChannel
) -> None:
    smtp.fail_next(1, 421, "4.3.2 service shutting down", at="RCPT")

    with pytest.raises(TransientSendError, match="421"):
        channel.send(outbound(1))
    assert smtp.messages == []


def test_a_refusal_of_data_is_not_sent_again(smtp: FakeSmtp, channel: SmtpChannel) -> None:
    channel.send(outbound(1))
    smtp.fail_next(2, 451, "4.3.0 try again later")

    with pytest.raises(TransientSendError, match="451"):
        channel.send(outbound(2))
    with pytest.raises(TransientSendError, match="451"):  # the second failure was still queued
        channel.send(outbound(3))
    channel.send(outbound(4))

    assert subjects(smtp) == ["#1", "#4"]


def test_a_disconnect_after_the_message_was_handed_over_is_not_sent_again(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server takes the message, then the connection dies before its 250: whether it will
    be delivered is unknown here, so it is not sent again on a new connection."""
    handler: Any = fake_module._Handler
    take = handler.handle_DATA

    async def take_and_hang_up_on_2(self: Any, server: Any, session: Any, envelope: Any) -> str:
        status: str = await take(self, server, session, envelope)
        if "Subject: #2" in envelope.original_content.decode():
            server.transport.close()
        return status

    # aiosmtpd binds the hooks when a connection is made: patched before the first one.
    monkeypatch.setattr(handler, "handle_DATA", take_and_hang_up_on_2)
    channel.send(outbound(1))

    with pytest.raises(TransientSendError, match="disconnected"):
        channel.send(outbound(2))

    assert subjects(smtp) == ["#1", "#2"]  # taken once, never twice
    assert len(accepted.connections) == 1


def test_close_quits_the_connection_and_a_later_send_opens_another(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted
) -> None:
    channel.send(outbound(1))
    channel.close()
    assert accepted.connections[0].lost.wait(5) and accepted.open == []

    channel.send(outbound(2))

    assert subjects(smtp) == ["#1", "#2"]
    assert len(accepted.connections) == 2


def test_each_thread_keeps_its_own_connection(
    smtp: FakeSmtp, channel: SmtpChannel, accepted: Accepted
) -> None:
    def send_ten(thread: int) -> None:
        for n in range(10):
            channel.send(outbound(thread * 100 + n))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send_ten, range(4)))

    assert len(smtp.messages) == 40
    assert 1 <= len(accepted.connections) <= 4
    assert channel.connections.opened == len(accepted.connections)


def test_a_channel_nobody_holds_closes_its_connections(smtp: FakeSmtp, accepted: Accepted) -> None:
    channel = SmtpChannel.from_url(f"smtp://{smtp.host}:{smtp.port}", SENDER)
    channel.send(outbound(1))
    del channel

    assert accepted.connections[0].lost.wait(5)
