"""The email channel over SMTP, plain, STARTTLS or implicit TLS.

Each sending thread keeps its connection open from message to message (`smtp_connections`:
checked with NOOP after a while idle, opened again when the server dropped it; `close()` QUITs
them).

Configured from a URL (user and password URL-encoded):

    smtp://user:pass@host:25            plain (port 25 by default)
    smtp://user:pass@host:587?starttls=1  STARTTLS, required: no TLS, no send
    smtps://user:pass@host:465          implicit TLS (port 465 by default)

`classify` is the one place that decides whether a failure is worth retrying: 4xx replies
and network trouble are transient, 5xx replies and missing extensions are permanent.
Passwords never reach an error, a log line or a repr; recipient addresses are masked.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import weakref
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from adapters.channels.base import (
    OutboundMessage,
    PermanentSendError,
    Receipt,
    SendError,
    TransientSendError,
    mask_email,
)
from adapters.channels.senders import Senders, checked_address
from adapters.channels.smtp_connections import (
    ConnectionPerThread,
    TrackedSmtp,
    TrackedSmtpSsl,
    quit_quietly,
)

Security = Literal["plain", "starttls", "tls"]

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_YES = {"1", "true", "yes", "on"}
_NO = {"0", "false", "no", "off", ""}
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_REPLY_LIMIT = 200
_LIST_UNSUBSCRIBE = "list-unsubscribe"


class _MailPolicy(EmailPolicy):
    """`email.policy.default`, except that List-Unsubscribe URLs are never encoded words.

    The default folder turns any token longer than a line into RFC 2047 encoded words,
    which would make a long unsubscribe URL unreadable to mail clients; RFC 2369 wants
    the bare `<url>` list, so it is folded by hand between the URLs instead.
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() != _LIST_UNSUBSCRIBE:
            folded: str = super().fold(name, value)
            return folded
        urls = [url.strip() for url in str(value).split(",")]
        return f"{name}: " + f",{self.linesep} ".join(urls) + self.linesep

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() != _LIST_UNSUBSCRIBE:
            return super().fold_binary(name, value)
        return self.fold(name, value).encode("ascii")


# 7bit: non-ASCII bodies go quoted-printable or base64, so any relay can carry them.
_POLICY = _MailPolicy(cte_type="7bit")


class SmtpChannel:
    """Sends messages over each thread's kept SMTP connection and returns their Message-ID."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: Security = "plain",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        unsubscribe_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        senders: Senders | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.security: Security = security
        self.user = user
        self._password = password
        self.timeout = timeout
        self.unsubscribe_url = _checked_unsubscribe_url(unsubscribe_url)
        self._ssl_context = ssl_context
        self._sender_address = checked_address(sender)
        self.senders = senders or Senders(sender)
        self.connections = ConnectionPerThread(_opener(self))

    @classmethod
    def from_url(
        cls,
        url: str,
        sender: str,
        timeout: float = 10.0,
        *,
        unsubscribe_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        senders: Senders | None = None,
    ) -> SmtpChannel:
        """Build a channel from `smtp://` or `smtps://`; ValueError says what is wrong."""
        host, port, security, user, password = parse_smtp_url(url)
        return cls(
            host,
            port,
            sender,
            security=security,
            user=user,
            password=password,
            timeout=timeout,
            unsubscribe_url=unsubscribe_url,
            ssl_context=ssl_context,
            senders=senders,
        )

    def __repr__(self) -> str:
        scheme = "smtps" if self.security == "tls" else "smtp"
        credentials = f"{self.user}:***@" if self.user is not None else ""
        query = "?starttls=1" if self.security == "starttls" else ""
        url = f"{scheme}://{credentials}{self.host}:{self.port}{query}"
        return f"SmtpChannel({url!r}, sender={self.sender!r}, timeout={self.timeout})"

    def send(self, message: OutboundMessage) -> Receipt:
        email_message = self.build(message)
        try:
            self._deliver(email_message)
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:
            raise classify(exc) from None  # the original may quote the full address
        return Receipt(provider_message_id=str(email_message["Message-ID"]))

    def build(self, message: OutboundMessage) -> EmailMessage:
        """The email as it will be sent; PermanentSendError if a header is unusable."""
        try:
            return self._build(message)
        except (ValueError, TypeError):
            raise PermanentSendError(
                f"cannot build an email for {mask_email(message.to)}: invalid header"
            ) from None

    def _build(self, message: OutboundMessage) -> EmailMessage:
        email_message = EmailMessage(policy=_POLICY)
        email_message["From"] = self.senders.sender_for(message.locale)
        email_message["To"] = message.to
        if self.senders.reply_to is not None:
            email_message["Reply-To"] = self.senders.reply_to
        if message.subject is not None:
            email_message["Subject"] = message.subject
        email_message["Date"] = formatdate(usegmt=True)
        email_message["Message-ID"] = self.message_id(message.notification_id, message.reference)
        if message.marketing:
            self._add_unsubscribe(email_message, message)
        email_message.set_content(message.body)
        if message.html is not None:
            email_message.add_alternative(message.html, subtype="html")
        return email_message

    def message_id(self, notification_id: int, reference: str | None = None) -> str:
        """The same notification (or reference) always gets the same Message-ID, so resends
        are one mail."""
        domain = self._sender_address.rpartition("@")[2]
        name = reference or f"notification-{notification_id}"
        return f"<{name}@{domain}>"

    def _add_unsubscribe(self, email_message: EmailMessage, message: OutboundMessage) -> None:
        """RFC 8058 one-click when the message has its own https URL (or the channel a URL
        template); only without one, RFC 2369's mailto to the sender."""
        url = _checked_unsubscribe_url(message.unsubscribe_url)
        if url is None and self.unsubscribe_url is not None:
            url = self.unsubscribe_url.replace("{notification_id}", str(message.notification_id))
        if url is None:
            email_message["List-Unsubscribe"] = (
                f"<mailto:{self._sender_address}?subject=unsubscribe>"
            )
            return
        email_message["List-Unsubscribe"] = f"<{url}>"
        email_message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    def close(self) -> None:
        """QUIT the kept connections."""
        self.connections.close()

    def _deliver(self, email_message: EmailMessage) -> None:
        self.connections.send(lambda smtp: smtp.send_message(email_message))

    def _open(self) -> smtplib.SMTP:
        """A connection ready for messages: greeted, with TLS and AUTH when configured."""
        smtp = self._connect()
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo_or_helo_if_needed()
            if self.user is not None:
                smtp.login(self.user, self._password or "")
        except BaseException:
            quit_quietly(smtp)
            raise
        return smtp

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            context = self._tls_context()
            return TrackedSmtpSsl(self.host, self.port, timeout=self.timeout, context=context)
        return TrackedSmtp(self.host, self.port, timeout=self.timeout)

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context


def _opener(channel: SmtpChannel) -> Callable[[], smtplib.SMTP]:
    """`channel._open` without a reference to the channel: a channel nobody holds any more is
    freed at once, and its kept connections are closed with it."""
    ref = weakref.ref(channel)

    def open_connection() -> smtplib.SMTP:
        alive = ref()
        if alive is None:
            raise smtplib.SMTPServerDisconnected("the channel was closed")
        return alive._open()

    return open_connection


def parse_smtp_url(url: str) -> tuple[str, int, Security, str | None, str | None]:
    """(host, port, security, user, password); ValueError names the problem, never the secret."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("SMTP URL is malformed (check the host and the port)") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP URL has no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("SMTP URL must not have a path or a fragment")
    if port == 0:
        raise ValueError("SMTP URL port must be between 1 and 65535")
    security = _security(scheme, parts.query)
    user, password = _credentials(parts.username, parts.password)
    return parts.hostname, port or _DEFAULT_PORTS[scheme], security, user, password


def _security(scheme: str, query: str) -> Security:
    starttls = False
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key != "starttls":
            raise ValueError(f"SMTP URL has an unknown parameter {key!r} (only starttls)")
        if value.lower() not in _YES | _NO:
            raise ValueError("SMTP URL starttls must be 1 or 0")
        starttls = value.lower() in _YES
    if scheme == "smtps":
        if starttls:
            raise ValueError("SMTP URL: starttls=1 is for smtp://; smtps:// is already TLS")
        return "tls"
    return "starttls" if starttls else "plain"


def _credentials(user: str | None, password: str | None) -> tuple[str | None, str | None]:
    if not user and not password:
        return None, None
    if not user:
        raise ValueError("SMTP URL has a password but no user")
    if password is None:
        raise ValueError("SMTP URL has a user but no password")
    return unquote(user), unquote(password)


def _checked_unsubscribe_url(template: str | None) -> str | None:
    if template is not None and (not template.startswith("https://") or not template.isascii()):
        raise ValueError("unsubscribe_url must be an ASCII https:// URL")
    return template


def classify(exc: BaseException) -> SendError:
    """4xx and network trouble → TransientSendError; 5xx → PermanentSendError(code)."""
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _refused(exc)
    if isinstance(exc, smtplib.SMTPConnectError):
        return TransientSendError(f"SMTP {exc.smtp_code} on connect: {_reply(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, f"SMTP {exc.smtp_code}: {_reply(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentSendError(f"SMTP server lacks a required extension: {_reply(str(exc))}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientSendError(f"SMTP server disconnected: {_reply(str(exc))}")
    if isinstance(exc, smtplib.SMTPException):
        return PermanentSendError(f"SMTP error: {_reply(str(exc))}")
    if isinstance(exc, OSError):  # refused, reset, timed out, TLS handshake, DNS
        return TransientSendError(f"SMTP connection failed: {type(exc).__name__}: {exc}")
    # The text of other errors (UnicodeEncodeError during AUTH) may quote the password.
    return PermanentSendError(f"SMTP send failed: {type(exc).__name__}")


def _refused(exc: smtplib.SMTPRecipientsRefused) -> SendError:
    replies = [(address, code, reply) for address, (code, reply) in exc.recipients.items()]
    if not replies:
        return PermanentSendError("SMTP server refused the recipient")
    permanent = [item for item in replies if not 400 <= item[1] < 500]
    address, code, reply = (permanent or replies)[0]
    text = f"SMTP {code}: recipient {mask_email(address)} refused: {_reply(reply)}"
    return _by_code(code, text)


def _by_code(code: int, text: str) -> SendError:
    if 500 <= code < 600:
        return PermanentSendError(text, code=str(code))
    return TransientSendError(text)


def _reply(reply: bytes | str) -> str:
    """The server's words, on one line, shortened, with every address masked."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = _EMAIL.sub(lambda match: mask_email(match.group()), " ".join(text.split()))
    return text if len(text) <= _REPLY_LIMIT else text[: _REPLY_LIMIT - 1] + "…"
