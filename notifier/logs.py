"""Structured logs: one JSON object a line, with the event, order and message it is about.

The ids come from context variables set where the work starts (processing an event, delivering a
message), so every line below carries them without passing them around. Phone numbers and email
addresses are masked in every line, whoever wrote it (uvicorn's, dramatiq's and twilio's too), in
plain or URL-encoded form (`%2B52…`); tokens in a query string or a Bearer header, and the values
of the configured secrets, are replaced by `***` should any line carry them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from adapters.channels.base import mask_email, mask_phone, mask_phones_in

IDS = ("event_id", "order_id", "message_id")
_CONTEXT: dict[str, ContextVar[str | int | None]] = {
    name: ContextVar(name, default=None) for name in IDS
}
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ENCODED_PHONE = re.compile(r"%2B(\d{7,15})", re.IGNORECASE)
SECRET_IN_QUERY = re.compile(
    r"(?i)([?&;](?:token|access_token|secret|signature|key|password)=)[^&\s\"']+"
)
PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',]+")
QUIET_LIBRARIES = (
    "twilio",
    "urllib3",
    "httpx",
    "httpcore",
    "asyncio",
    "multipart",
    "aiosmtpd",
    "alembic",
)
SHORTEST_HIDDEN_SECRET = 6  # shorter values would blank out ordinary words
_secrets: set[str] = set()


@contextmanager
def log_context(**ids: str | int | None) -> Iterator[None]:
    """Every log line inside the block carries these ids (event_id, order_id, message_id)."""
    tokens = [(_CONTEXT[name], _CONTEXT[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def set_log_ids(**ids: str | int | None) -> None:
    """Fill in ids learned inside a `log_context` block (they end with the block)."""
    for name, value in ids.items():
        _CONTEXT[name].set(value)


def hide_secrets(values: Iterable[str]) -> None:
    """Values (the configured secrets) that no log line of this process may show."""
    _secrets.update(value for value in values if len(value) >= SHORTEST_HIDDEN_SECRET)


def mask(text: str) -> str:
    """Mask phone numbers (plain or URL-encoded), email addresses, tokens and secrets."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    text = BEARER.sub(r"\1***", SECRET_IN_QUERY.sub(r"\1***", text))
    text = PASSWORD_IN_URL.sub(r"\1***@", text)
    text = ENCODED_PHONE.sub(lambda m: "%2B" + mask_phone("+" + m.group(1))[1:], text)
    return EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), mask_phones_in(text))


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line, ids included, personal data masked."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
            **{name: _CONTEXT[name].get() for name in IDS},
        }
        if record.exc_info:
            line["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the whole process (our loggers, dramatiq's, uvicorn's)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(level)
    # twilio's client logs every request (numbers, bodies) at INFO: only its warnings are news
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
