"""A real SMTP server on loopback (aiosmtpd) with failure injection, AUTH and TLS.

    with FakeSmtp(user="shop", password="s3cret", tls="starttls") as smtp:
        channel = SmtpChannel.from_url(f"smtp://shop:s3cret@{smtp.host}:{smtp.port}?starttls=1",
                                       "shop@example.com", ssl_context=smtp.client_ssl_context())
        smtp.fail_next(1, 451, "4.3.0 try again later")

TLS uses a certificate for 127.0.0.1/localhost from a throwaway certificate authority made at
start with trustme (pure Python: no `openssl` command, so TLS tests never have a reason to skip).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from types import TracebackType
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

Stage = Literal["RCPT", "DATA"]
Tls = Literal["starttls", "implicit"]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the parsed email."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    tls: bool
    user: str | None


class FakeSmtp:
    """Start with `with FakeSmtp() as smtp:`; `smtp.messages` holds what arrived."""

    def __init__(
        self, *, user: str | None = None, password: str | None = None, tls: Tls | None = None
    ) -> None:
        self.host = HOST
        self.port = 0
        self.user = user
        self.password = password
        self.tls = tls
        self.messages: list[Received] = []
        self._failures: list[tuple[Stage, str]] = []
        self._lock = threading.Lock()
        self._controller: Any = None
        self._certificate = ""

    def __enter__(self) -> FakeSmtp:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        server_context = self._server_context() if self.tls else None
        self.port = free_port()
        kwargs: dict[str, Any] = {
            "hostname": HOST,
            "port": self.port,
            "server_hostname": "fake-smtp.test",
            "auth_require_tls": self.tls == "starttls",
            "authenticator": self._authenticate,
        }
        if self.tls == "starttls":
            kwargs.update(tls_context=server_context, require_starttls=True)
        elif self.tls == "implicit":
            kwargs["ssl_context"] = server_context
        self._controller = Controller(_Handler(self), loop=asyncio.new_event_loop(), **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(self, n: int, code: int, text: str, *, at: Stage = "DATA") -> None:
        """Answer the next `n` DATA (or RCPT) commands with `code text`."""
        with self._lock:
            self._failures.extend([(at, f"{code} {text}")] * n)

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate (and only it)."""
        if not self._certificate:
            raise RuntimeError("this FakeSmtp has no TLS")
        return ssl.create_default_context(cadata=self._certificate)

    def take_failure(self, stage: Stage) -> str | None:
        with self._lock:
            if self._failures and self._failures[0][0] == stage:
                return self._failures.pop(0)[1]
        return None

    def authenticate(self, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.user is not None
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        return self.authenticate(mechanism, auth_data)

    def _server_context(self) -> ssl.SSLContext:
        authority = trustme.CA()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert("localhost", HOST).configure_cert(context)
        self._certificate = authority.cert_pem.bytes().decode()
        return context


class _Handler:
    """aiosmtpd hooks: refuse MAIL before AUTH when AUTH is set, inject failures, record."""

    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.fake.user is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        failure = self.fake.take_failure("RCPT")
        if failure is not None:
            return failure
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self.fake.take_failure("DATA")
        if failure is not None:
            return failure
        message = BytesParser(policy=default_policy).parsebytes(envelope.original_content)
        assert isinstance(message, EmailMessage)
        auth = session.auth_data
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
            tls=server.transport.get_extra_info("ssl_object") is not None,
            user=auth.login.decode() if isinstance(auth, LoginPassword) else None,
        )
        self.fake.messages.append(received)
        return "250 2.0.0 OK: queued"


def free_port() -> int:
    """A loopback port nobody listens on (closed again at once: connecting is refused)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel does) but never says a word."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield listener.getsockname()[1]
