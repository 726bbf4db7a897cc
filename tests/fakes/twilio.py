"""A fake of Twilio's Programmable Messaging REST API: a real HTTP server on loopback.

The project's Twilio adapter drives the official ``twilio`` client with its base URL rewritten
to :attr:`FakeTwilio.base_url`, so every answer here has the shape that client parses:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded) checks HTTP Basic
  auth (401, code 20003), then Twilio's parameter rules (``To``: 21604; ``From`` or
  ``MessagingServiceSid``: 21603; ``Body``, ``MediaUrl`` or ``ContentSid``: 21602, or 21619
  through a Messaging Service; ``ContentVariables`` must be a JSON object: 21656), and answers
  201 with the Message JSON (``sid`` "SM…", ``status`` "queued", RFC 2822 dates, ...).
* ``GET .../Messages/{MessageSid}.json`` fetches one message (404, code 20404, if unknown).
* ``GET .../Messages.json`` lists them newest first, filtered by ``To``, ``From``, ``DateSent``,
  ``DateSent>`` and ``DateSent<``, paged with ``PageSize`` and ``Page``: what
  ``client.messages.list(to=..., date_sent_after=...)`` asks for. As in Twilio, the date
  filters read only the day (GMT) of the date given, whatever time of day follows it (the
  client sends ``2024-05-01T12:34:56Z``): ``DateSent`` lists the messages sent that day,
  ``DateSent>=`` those sent on or after its midnight, ``DateSent<=`` on or before it.

Errors have Twilio's classic body ``{"code", "message", "more_info", "status"}``, which the
client raises as ``TwilioRestException`` with ``.code`` and ``.status``. (A body holding
``type``, ``title``, ``status`` and ``code`` would be raised as ``TwilioServiceException``
instead; the Messages API never answers that way, and neither does this fake.) A failure
without a Twilio code, and no usual one for its status, is answered as plain text, like a
proxy would: the client then sets ``.code`` to the HTTP status.

Failures are injected while the server runs, from any thread: :meth:`FakeTwilio.fail_next`,
:meth:`~FakeTwilio.fail_randomly`, :meth:`~FakeTwilio.fail_for_numbers`,
:meth:`~FakeTwilio.outage` (every create fails for a while) and
:meth:`~FakeTwilio.hang_next` (which creates the message first, then answers late: the client
times out though Twilio has the message, which is what reconciliation must cope with).

Only the standard library is used, except :func:`sign`, which asks the ``twilio`` package's own
``RequestValidator`` so that signatures agree with it by construction.
"""

from __future__ import annotations

import base64
import json
import random
import re
import socketserver
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import parse_qs, urlencode, urlsplit

API_VERSION: Final = "2010-04-01"
DEFAULT_ACCOUNT_SID: Final = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN: Final = "fedcba9876543210" * 2
DEFAULT_FROM: Final = "+15017122661"
DEFAULT_TO: Final = "+15558675310"

_CREATE_OR_LIST: Final = re.compile(rf"/{API_VERSION}/Accounts/(\w+)/Messages\.json")
_FETCH: Final = re.compile(rf"/{API_VERSION}/Accounts/(\w+)/Messages/(\w+)\.json")

# What Twilio says for each code; {to} and {path} are filled in.
_ERROR_MESSAGES: Final[dict[int, str]] = {
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service Unavailable",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by "
    "the 'To' number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21619: "A text message body or media urls must be specified.",
    21656: "The ContentVariables Parameter is invalid.",
    63003: "Channel could not find To address",
    63016: "Failed to send freeform message because you are outside the allowed window.",
}
_ERROR_DETAILS: Final[dict[int, str]] = {20003: "Your AccountSid or AuthToken was incorrect."}
# The code Twilio uses when a failure is given by HTTP status alone.
_DEFAULT_CODES: Final[dict[int, int]] = {
    401: 20003,
    404: 20404,
    429: 20429,
    500: 20500,
    503: 20503,
}
_SENT_STATUSES: Final = frozenset({"sent", "delivered", "undelivered", "read", "failed"})

_GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Failure:
    """An error answer: HTTP status, Twilio error code, message and ``Retry-After`` seconds.

    ``code=None`` means Twilio's usual code for the status (429 → 20429, 500 → 20500, ...);
    ``message=None`` means Twilio's usual text for the code.
    """

    status: int
    code: int | None = None
    message: str | None = None
    retry_after: int | None = None

    def payload(self, to: str = "", path: str = "") -> dict[str, Any] | None:
        """Twilio's error JSON, or None when there is no code (the answer is then plain text)."""
        code = self.code if self.code is not None else _DEFAULT_CODES.get(self.status)
        if code is None:
            return None
        text = self.message or _ERROR_MESSAGES.get(code, f"Error {code}").format(to=to, path=path)
        payload: dict[str, Any] = {
            "code": code,
            "message": text,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": self.status,
        }
        if code in _ERROR_DETAILS:
            payload["detail"] = _ERROR_DETAILS[code]
        return payload


Outcome: TypeAlias = Literal["accepted"] | Failure


@dataclass(frozen=True)
class RecordedMessage:
    """One create request as the fake saw it, and what it answered.

    ``sid`` is set when the message was accepted (also when the answer was then delayed past
    the client's timeout by :meth:`FakeTwilio.hang_next`), None when it was refused.
    ``content_variables`` is the parsed ``ContentVariables`` JSON object, None if absent or
    invalid. ``form`` holds every raw parameter (the first value of repeated ones; all
    ``MediaUrl`` values are in ``media_urls``). ``received_at`` is ``time.monotonic()``.
    """

    sid: str | None
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str | None
    content_sid: str | None
    content_variables: dict[str, Any] | None
    status_callback: str | None
    media_urls: tuple[str, ...]
    form: dict[str, str]
    received_at: float
    outcome: Outcome

    @property
    def accepted(self) -> bool:
        """Whether Twilio (the fake) created the message."""
        return self.outcome == "accepted"


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


@dataclass
class _Outage:
    until: float  # time.monotonic()
    failures: tuple[Failure, ...]
    answered: int = 0

    def draw(self, now: float) -> Failure | None:
        if now >= self.until:
            return None
        failure = self.failures[self.answered % len(self.failures)]
        self.answered += 1
        return failure


@dataclass
class _RandomFailures:
    ratio: float
    choices: tuple[Failure, ...]
    rng: random.Random

    def draw(self) -> Failure | None:
        if self.rng.random() >= self.ratio:
            return None
        return self.rng.choice(self.choices)


def new_sid(prefix: str) -> str:
    """A Twilio-style SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def num_segments(body: str) -> int:
    """SMS segments of ``body``: GSM-7 (160, or 153 per part) or else UCS-2 (70, or 67)."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in body):
        units = sum(2 if c in _GSM7_EXTENSION else 1 for c in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


def _parse_form(raw: str) -> tuple[dict[str, str], tuple[str, ...]]:
    pairs = parse_qs(raw, keep_blank_values=True)
    return {name: values[0] for name, values in pairs.items()}, tuple(pairs.get("MediaUrl", ()))


def _variables(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _check_params(form: Mapping[str, str], media: tuple[str, ...]) -> Failure | None:
    """Twilio's own checks on a create, in its order."""
    if not form.get("To"):
        return Failure(400, 21604)
    if not (form.get("From") or form.get("MessagingServiceSid")):
        return Failure(400, 21603)
    if not (form.get("Body") or form.get("ContentSid") or media):
        return Failure(400, 21602 if form.get("From") else 21619)
    if "ContentVariables" in form and _variables(form["ContentVariables"]) is None:
        return Failure(400, 21656)
    return None


def _record(
    form: dict[str, str],
    media: tuple[str, ...],
    sid: str | None,
    outcome: Outcome,
    received_at: float,
) -> RecordedMessage:
    return RecordedMessage(
        sid=sid,
        to=form.get("To", ""),
        from_=form.get("From"),
        messaging_service_sid=form.get("MessagingServiceSid"),
        body=form.get("Body"),
        content_sid=form.get("ContentSid"),
        content_variables=_variables(form.get("ContentVariables")),
        status_callback=form.get("StatusCallback"),
        media_urls=media,
        form=form,
        received_at=received_at,
        outcome=outcome,
    )


def _message_payload(
    account_sid: str, sid: str, form: Mapping[str, str], media: tuple[str, ...]
) -> dict[str, Any]:
    """The Message resource as Twilio answers a create."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
    stamp = _rfc2822_now()
    from_ = form.get("From") or None
    body = form.get("Body", "")
    # Through a Messaging Service alone, the sender is picked after the create is accepted.
    pending_sender = from_ is None
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": stamp,
        "date_sent": None,
        "date_updated": stamp,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": str(len(media)),
        "num_segments": "0" if pending_sender else str(num_segments(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "accepted" if pending_sender else "queued",
        "subresource_uris": {
            "media": uri.removesuffix(".json") + "/Media.json",
            "feedback": uri.removesuffix(".json") + "/Feedback.json",
        },
        "to": form["To"],
        "uri": uri,
    }


def _json_reply(status: int, payload: Mapping[str, Any], delay: float = 0.0) -> _Reply:
    return _Reply(status, json.dumps(payload).encode(), delay=delay)


def _error_reply(failure: Failure, to: str = "", path: str = "", delay: float = 0.0) -> _Reply:
    headers: tuple[tuple[str, str], ...] = ()
    if failure.retry_after is not None:
        headers = (("Retry-After", str(failure.retry_after)),)
    if failure.status == 401:
        headers += (("WWW-Authenticate", 'Basic realm="Twilio API"'),)
    payload = failure.payload(to, path)
    if payload is None:
        text = responses.get(failure.status, "Error").encode()
        return _Reply(failure.status, text, "text/plain; charset=utf-8", headers, delay)
    return _Reply(failure.status, json.dumps(payload).encode(), headers=headers, delay=delay)


def _midnight(raw: str | None) -> datetime | None:
    """The midnight (GMT) starting the day of a list filter's date: ``2024-05-01``, or
    ``2024-05-01T12:00:00Z`` as the client sends it (Twilio reads the day alone)."""
    try:
        return datetime.strptime((raw or "")[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _matches(payload: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    """Whether a message passes the list filters, day-granular like Twilio's (see the module's
    docstring). A message still queued has no ``date_sent`` yet; it is dated by its creation
    (a real one is sent within moments)."""
    sent = parsedate_to_datetime(payload["date_sent"] or payload["date_created"]).astimezone(UTC)
    day = _midnight(sent.date().isoformat())
    on, after, before = (_midnight(query.get(f"DateSent{op}")) for op in ("", ">", "<"))
    return (
        query.get("To") in (None, payload["to"])
        and query.get("From") in (None, payload["from"])
        and (on is None or day == on)
        and (after is None or sent >= after)
        and (before is None or sent <= before)
    )


def _page_number(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(low, min(high, value))


def _list_page(
    account_sid: str, records: Sequence[Mapping[str, Any]], query: Mapping[str, str]
) -> dict[str, Any]:
    """One page of a list, with only the keys the client's ``Page`` knows besides the list."""
    size = _page_number(query.get("PageSize"), 50, 1, 1000)
    page = _page_number(query.get("Page"), 0, 0, 1_000_000)
    start = page * size
    chunk = list(records[start : start + size])
    filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}
    base = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"

    def uri(number: int) -> str:
        return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

    return {
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": uri(0),
        "messages": chunk,
        "next_page_uri": uri(page + 1) if start + size < len(records) else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": uri(page - 1) if page > 0 else None,
        "start": start,
        "uri": uri(page),
    }


class FakeTwilio:
    """Twilio's Messages API on ``127.0.0.1`` and a free port, for one account.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. Every method is
    thread-safe and can be called while requests are being served.
    """

    def __init__(
        self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._attempts: list[RecordedMessage] = []
        self._stored: dict[str, dict[str, Any]] = {}
        self._list_queries: list[dict[str, str]] = []
        self._queued: deque[Failure] = deque()
        self._hangs: deque[float] = deque()
        self._numbers: dict[str, Failure] = {}
        self._random: _RandomFailures | None = None
        self._outage: _Outage | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Bind a free loopback port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeTwilio is already running")
        self._stopping.clear()
        server = _Server(self)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.name = f"fake-twilio-{server.server_port}"
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close the port; requests still hanging are answered at once."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: what replaces ``https://api.twilio.com``."""
        if self._server is None:
            raise RuntimeError("FakeTwilio is not running; call start()")
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- failure injection -----------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        code: int | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` valid creates answer ``status`` with Twilio's error JSON for ``code``
        (and a ``Retry-After`` header when given). Queued after earlier ``fail_next`` calls."""
        failure = Failure(status, code, message, retry_after)
        with self._lock:
            self._queued.extend([failure] * n)

    def fail_randomly(
        self,
        ratio: float,
        choices: Sequence[tuple[int, int | None]] = ((500, None), (429, 20429)),
        seed: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Each valid create fails with probability ``ratio``, as one of ``choices``
        ((status, code) pairs), drawn from a generator seeded with ``seed``: the same seed and
        the same order of requests give the same failures. ``ratio=0`` turns this off."""
        if not 0.0 <= ratio <= 1.0 or not choices:
            raise ValueError("ratio must be within [0, 1] and choices must not be empty")
        failures = tuple(
            Failure(status, code, retry_after=retry_after if status == 429 else None)
            for status, code in choices
        )
        with self._lock:
            self._random = _RandomFailures(ratio, failures, random.Random(seed)) if ratio else None

    def fail_for_numbers(self, failures: Mapping[str, tuple[int, int | None]]) -> None:
        """Creates to these numbers always fail with (status, code). A bare number also
        matches its ``whatsapp:`` address; a ``whatsapp:`` key matches only that address.
        Added to the numbers set before; :meth:`reset` clears them."""
        with self._lock:
            for number, (status, code) in failures.items():
                self._numbers[number] = Failure(status, code)

    def outage(
        self,
        seconds: float,
        choices: Sequence[tuple[int, int | None]] = ((429, 20429), (500, None)),
        retry_after: int | None = None,
    ) -> float:
        """Every valid create fails for the next ``seconds``, taking ``choices`` ((status,
        code) pairs) in turn; 429s carry ``Retry-After`` when given. Numbers set to fail and
        queued failures still come first. Returns when it ends, as ``time.monotonic()``."""
        if seconds <= 0 or not choices:
            raise ValueError("an outage lasts a positive time and fails in at least one way")
        failures = tuple(
            Failure(status, code, retry_after=retry_after if status == 429 else None)
            for status, code in choices
        )
        with self._lock:  # a create received from now on is refused (see `_injected`)
            until = time.monotonic() + seconds
            self._outage = _Outage(until, failures)
        return until

    def hang_next(self, n: int, seconds: float) -> None:
        """The next ``n`` creates wait ``seconds`` before answering. A valid one is created
        (recorded, with its sid, and fetchable) *before* the wait, as when Twilio has the
        message but its answer never reaches a client that timed out."""
        with self._lock:
            self._hangs.extend([seconds] * n)

    def set_status(
        self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        """Move a created message on (``sent``, ``delivered``, ``failed``, ...), as fetches and
        lists will show it. Raises KeyError for an unknown sid."""
        stamp = _rfc2822_now()
        with self._lock:
            payload = self._stored[sid]
            payload.update(
                status=status,
                error_code=error_code,
                error_message=error_message,
                date_updated=stamp,
            )
            if status in _SENT_STATUSES and payload["date_sent"] is None:
                payload["date_sent"] = stamp

    def reset(self) -> None:
        """Forget every injected failure and hang, every attempt and every message."""
        with self._lock:
            self._queued.clear()
            self._hangs.clear()
            self._numbers.clear()
            self._random = None
            self._outage = None
            self._attempts.clear()
            self._stored.clear()
            self._list_queries.clear()

    # -- inspection ------------------------------------------------------------------------

    @property
    def messages(self) -> list[RecordedMessage]:
        """The accepted creates, in arrival order."""
        with self._lock:
            return [record for record in self._attempts if record.accepted]

    @property
    def attempts(self) -> list[RecordedMessage]:
        """Every create request, refused ones included, in arrival order."""
        with self._lock:
            return list(self._attempts)

    @property
    def list_queries(self) -> list[dict[str, str]]:
        """The filters of every list request (``To``, ``DateSent>``, ...), in arrival order."""
        with self._lock:
            return [dict(query) for query in self._list_queries]

    def accepted_to(self, to: str) -> list[RecordedMessage]:
        """The accepted messages to exactly this ``To`` (``whatsapp:`` prefix included)."""
        return [record for record in self.messages if record.to == to]

    def count_by(self, to: str, body_or_content: str) -> int:
        """How many accepted messages went to ``to`` with this ``Body`` or ``ContentSid``."""
        return sum(body_or_content in (m.body, m.content_sid) for m in self.accepted_to(to))

    def stored(self, sid: str) -> dict[str, Any] | None:
        """A copy of the Message JSON a fetch of ``sid`` would answer, or None."""
        with self._lock:
            payload = self._stored.get(sid)
            return json.loads(json.dumps(payload)) if payload is not None else None

    def signature(self, url: str, form: Mapping[str, str]) -> str:
        """``X-Twilio-Signature`` of a webhook this account would send (see :func:`sign`)."""
        return sign(url, form, self.auth_token)

    # -- the server side -------------------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _authorize(self, path_sid: str, credentials: tuple[str, str] | None) -> Failure | None:
        if credentials != (self.account_sid, self.auth_token):
            return Failure(401, 20003)
        if path_sid != self.account_sid:
            return Failure(404, 20404)
        return None

    def _injected(self, to: str) -> Failure | None:
        with self._lock:
            permanent = self._numbers.get(to) or self._numbers.get(to.removeprefix("whatsapp:"))
            if permanent is not None:
                return permanent
            if self._queued:
                return self._queued.popleft()
            down = self._outage.draw(time.monotonic()) if self._outage is not None else None
            if down is not None:
                return down
            return self._random.draw() if self._random is not None else None

    def _create(
        self, path: str, path_sid: str, credentials: tuple[str, str] | None, raw: str
    ) -> _Reply:
        received_at = time.monotonic()
        form, media = _parse_form(raw)
        failure = (
            self._authorize(path_sid, credentials)
            or _check_params(form, media)
            or self._injected(form["To"])
        )
        sid = new_sid("SM") if failure is None else None
        with self._lock:
            delay = self._hangs.popleft() if self._hangs else 0.0
            self._attempts.append(_record(form, media, sid, failure or "accepted", received_at))
            if sid is not None:
                self._stored[sid] = _message_payload(self.account_sid, sid, form, media)
                return _json_reply(201, self._stored[sid], delay)
        assert failure is not None
        return _error_reply(failure, form.get("To", ""), path, delay)

    def _fetch(
        self, path: str, path_sid: str, message_sid: str, credentials: tuple[str, str] | None
    ) -> _Reply:
        failure = self._authorize(path_sid, credentials)
        with self._lock:
            payload = self._stored.get(message_sid)
            if failure is None and payload is not None:
                return _json_reply(200, payload)
        return _error_reply(failure or Failure(404, 20404), path=path)

    def _list(
        self,
        path: str,
        path_sid: str,
        query: Mapping[str, str],
        credentials: tuple[str, str] | None,
    ) -> _Reply:
        failure = self._authorize(path_sid, credentials)
        if failure is not None:
            return _error_reply(failure, path=path)
        with self._lock:
            self._list_queries.append(dict(query))
            found = [p for p in reversed(self._stored.values()) if _matches(p, query)]
            return _json_reply(200, _list_page(self.account_sid, found, query))


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the :class:`FakeTwilio` of its server; keeps connections alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: don't wait for an ACK
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_POST(self) -> None:
        raw = self._read_body()
        path = urlsplit(self.path).path
        match = _CREATE_OR_LIST.fullmatch(path)
        if match is None:
            self._send(_error_reply(Failure(404, 20404), path=path))
            return
        self._send(self.server.fake._create(path, match[1], self._credentials(), raw))

    def do_GET(self) -> None:
        self._read_body()
        parts = urlsplit(self.path)
        fake = self.server.fake
        if match := _FETCH.fullmatch(parts.path):
            self._send(fake._fetch(parts.path, match[1], match[2], self._credentials()))
        elif match := _CREATE_OR_LIST.fullmatch(parts.path):
            query, _ = _parse_form(parts.query)
            self._send(fake._list(parts.path, match[1], query, self._credentials()))
        else:
            self._send(_error_reply(Failure(404, 20404), path=parts.path))

    def _read_body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace") if length > 0 else ""

    def _credentials(self) -> tuple[str, str] | None:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            return None
        return (user, password) if colon else None

    def _send(self, reply: _Reply) -> None:
        if reply.delay > 0:
            self.server.fake._pause(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Twilio-Request-Id", new_sid("RQ"))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except ConnectionError:  # the client gave up (a read timeout): nobody to answer
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the host name up (getfqdn): skip that.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.socket.getsockname()[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client hung up mid-request: expected with timeouts and benchmarks
        super().handle_error(request, client_address)


# -- webhooks Twilio would send ------------------------------------------------------------


def status_callback_form(
    message_sid: str,
    status: str,
    error_code: int | None = None,
    *,
    to: str = DEFAULT_TO,
    from_: str = DEFAULT_FROM,
    account_sid: str = DEFAULT_ACCOUNT_SID,
) -> dict[str, str]:
    """The form Twilio POSTs to a message's ``StatusCallback``. ``ErrorCode`` is present only
    when given (Twilio sends it with ``failed`` and ``undelivered``)."""
    form = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "From": from_,
        "MessageSid": message_sid,
        "MessageStatus": status,
        "SmsSid": message_sid,
        "SmsStatus": status,
        "To": to,
    }
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return form


def inbound_form(
    from_: str,
    body: str,
    *,
    to: str = DEFAULT_FROM,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    message_sid: str | None = None,
    profile_name: str | None = None,
) -> dict[str, str]:
    """The form Twilio POSTs to a number's incoming-message webhook. From a ``whatsapp:``
    address it also carries ``WaId`` (and ``ProfileName`` when given)."""
    sid = message_sid or new_sid("SM")
    form = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": from_,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
    }
    if from_.startswith("whatsapp:"):
        form["WaId"] = from_.removeprefix("whatsapp:").lstrip("+")
        form["MessageType"] = "text"
        if profile_name is not None:
            form["ProfileName"] = profile_name
    return form


def button_form(
    from_: str, text: str, payload: str, replied_to: str, *, message_sid: str | None = None
) -> dict[str, str]:
    """The form Twilio POSTs when a WhatsApp user taps a quick-reply button: the button's
    title as ``Body`` and ``ButtonText``, its id as ``ButtonPayload``, and the message it sat
    under as ``OriginalRepliedMessageSid``."""
    form = inbound_form(from_, text, message_sid=message_sid)
    form |= {"MessageType": "button", "ButtonText": text, "ButtonPayload": payload,
             "OriginalRepliedMessageSid": replied_to}  # fmt: skip
    return form


def sign(url: str, form: Mapping[str, str], auth_token: str) -> str:
    """``X-Twilio-Signature`` for a webhook POST of ``form`` to ``url``, as Twilio computes it."""
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(auth_token).compute_signature(url, dict(form)))
