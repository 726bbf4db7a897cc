"""SMTP connections kept open, one per sending thread, and reused from message to message.

Opening a connection costs the TCP handshake, the greeting, EHLO, often STARTTLS and AUTH: more
than the message itself. `ConnectionPerThread` keeps each thread's connection after a send that
went well and hands it back for the thread's next one; any failure discards it.

Servers drop idle connections (a timeout, a limit of messages per connection, a restart). A
connection idle for longer than `noop_after` is asked NOOP first, and opened again if that
fails. A send on a reused connection that was dropped before the message's DATA began (the
server hung up, reset, or said 421 to MAIL or RCPT) is sent once more on a new connection:
nothing of it was accepted, so it can neither be lost nor arrive twice. Once DATA has begun
nothing is sent again here: the server may have taken the message, and the error goes to the
caller as it would have without reuse.
"""

from __future__ import annotations

import os
import smtplib
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

NOOP_AFTER = 10.0  # seconds idle after which a connection is checked before use


class _DataTracking(smtplib.SMTP):
    """smtplib.SMTP that notes when the DATA command of a message was begun."""

    data_started = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


class TrackedSmtp(_DataTracking):
    """A plain (or STARTTLS) connection."""


class TrackedSmtpSsl(_DataTracking, smtplib.SMTP_SSL):
    """An implicit TLS connection."""


@dataclass(eq=False)
class _Connection:
    smtp: smtplib.SMTP
    pid: int
    generation: int
    last_used: float
    busy: bool = False
    closed: bool = False


class ConnectionPerThread:
    """Each thread's open SMTP connection; `open_connection` makes a ready one (greeted,
    TLS and AUTH done) or raises."""

    def __init__(
        self, open_connection: Callable[[], smtplib.SMTP], *, noop_after: float = NOOP_AFTER
    ) -> None:
        self._open_connection = open_connection
        self.noop_after = noop_after
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0
        self._open: set[_Connection] = set()
        self.opened = 0  # connections opened so far
        # A channel dropped without close() still closes its sockets (no ResourceWarning).
        weakref.finalize(self, _close_sockets, self._open)

    def send(self, transmit: Callable[[smtplib.SMTP], object]) -> None:
        """Run `transmit` (one message) on this thread's connection, opening one if needed."""
        connection = self._checkout()
        reused = connection is not None
        if connection is None:
            connection = self._new()
        try:
            _transmit(connection.smtp, transmit)
        except Exception as exc:
            self._discard(connection, polite=_answered(exc))
            if not (reused and dropped_before_data(connection.smtp, exc)):
                raise
            connection = self._new()
            try:
                _transmit(connection.smtp, transmit)
            except Exception as again:
                self._discard(connection, polite=_answered(again))
                raise
        self._checkin(connection)

    def close(self) -> None:
        """QUIT every idle connection now; one in use closes when its send ends."""
        with self._lock:
            self._generation += 1
            idle = [c for c in self._open if not c.busy]
            for connection in idle:
                connection.closed = True
                self._open.discard(connection)
        for connection in idle:
            quit_quietly(connection.smtp)

    # -- checking out, in, away --------------------------------------------------------------

    def _checkout(self) -> _Connection | None:
        """This thread's kept connection, marked busy, if it is still good to use."""
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            return None
        with self._lock:
            usable = not connection.closed and connection.pid == os.getpid()
            if usable:
                connection.busy = True
        if not usable:
            self._local.connection = None
            if connection.pid != os.getpid():  # inherited through fork: not ours to QUIT
                connection.smtp.close()
            return None
        if time.monotonic() - connection.last_used > self.noop_after and not _answers(
            connection.smtp
        ):
            self._discard(connection, polite=False)
            return None
        return connection

    def _new(self) -> _Connection:
        smtp = self._open_connection()
        now = time.monotonic()
        connection = _Connection(smtp, os.getpid(), self._generation, now, busy=True)
        with self._lock:
            self._open.add(connection)
            self.opened += 1
        self._local.connection = connection
        return connection

    def _checkin(self, connection: _Connection) -> None:
        connection.last_used = time.monotonic()
        with self._lock:
            connection.busy = False
            stale = connection.generation != self._generation
            if stale:
                connection.closed = True
                self._open.discard(connection)
        if stale:
            self._local.connection = None
            quit_quietly(connection.smtp)

    def _discard(self, connection: _Connection, *, polite: bool) -> None:
        """Forget a connection: QUIT when the server is still talking, else just close it
        (a QUIT on a dead or silent connection would only wait for the timeout again)."""
        with self._lock:
            connection.busy = False
            connection.closed = True
            self._open.discard(connection)
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None
        if polite:
            quit_quietly(connection.smtp)
        else:
            connection.smtp.close()


def _transmit(smtp: smtplib.SMTP, transmit: Callable[[smtplib.SMTP], object]) -> None:
    if isinstance(smtp, _DataTracking):
        smtp.data_started = False
    transmit(smtp)


def _answered(exc: BaseException) -> bool:
    """The server replied (a refusal): the connection still works well enough for QUIT."""
    return isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)


def _answers(smtp: smtplib.SMTP) -> bool:
    try:
        code, _ = smtp.noop()
    except (smtplib.SMTPException, OSError):
        return False
    return code == 250


def dropped_before_data(smtp: smtplib.SMTP, exc: BaseException) -> bool:
    """Whether `exc` says the connection was gone before the message's DATA was begun (then
    the server has nothing of the message, and sending it on a new connection is safe)."""
    if not isinstance(smtp, _DataTracking) or smtp.data_started:
        return False
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return exc.smtp_code == 421
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    return False


def quit_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT, or just close the socket if the server is gone."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _close_sockets(connections: Iterable[_Connection]) -> None:
    for connection in list(connections):
        connection.smtp.close()
