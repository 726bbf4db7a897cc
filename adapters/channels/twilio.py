"""SMS and WhatsApp through Twilio's official client, and the classification of its errors.

The client's HTTP layer is ours: an explicit timeout (the default client has none), the base URL
from settings (tests point it at a local fake), and the `Retry-After` of the last answer kept per
thread so a rate-limited send can be retried when Twilio says. Channels send through
`PooledHttpClient` (urllib3 directly, `twilio_http`); `RoutedHttpClient`, the same on Twilio's
requests-based client, stays as the reference it is compared with (tests, bench).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Protocol

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from adapters.channels.base import (
    OutboundMessage,
    PermanentSendError,
    Receipt,
    SendError,
    TransientSendError,
    UnknownOutcomeError,
    mask_phone,
    mask_phones_in,
)
from adapters.channels.twilio_http import TWILIO_API as TWILIO_API
from adapters.channels.twilio_http import PooledHttpClient

# Codes retrying never fixes: bad number, unsubscribed, region, not mobile, not on WhatsApp.
PERMANENT_CODES = frozenset({21211, 21610, 21408, 21614, 63003, 21606, 21612, 63016})
TRANSIENT_CODES = frozenset({20429, 20500, 20503, 30001})
OPTED_OUT_CODE = "21610"  # the recipient replied STOP: the channel is closed to them


class RoutedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Twilio's HTTP client with a base URL of our choosing, a timeout, and Retry-After kept."""

    def __init__(self, base_url: str, timeout: float) -> None:
        # The environment's proxies are read once here, not on every request: requests would
        # scan the whole environment per call (about a millisecond of CPU per message).
        proxies = requests.utils.get_environ_proxies(base_url)
        super().__init__(pool_connections=True, timeout=timeout, proxy=proxies)
        self.session.trust_env = False
        self._base_url = base_url.rstrip("/")
        self._local = threading.local()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self._base_url + url[len(TWILIO_API) :]
        self._local.retry_after = None
        response: Response = super().request(method, url, *args, **kwargs)
        self._local.retry_after = _retry_after(response.headers or {})
        return response

    def last_retry_after(self) -> float | None:
        """The Retry-After (seconds) of this thread's last answer, if it had one."""
        value: float | None = getattr(self._local, "retry_after", None)
        return value

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        if self.session is not None:
            self.session.close()


class ChannelHttp(Protocol):
    """What a channel asks of the HTTP client under its twilio Client."""

    def last_retry_after(self) -> float | None: ...

    def close(self) -> None: ...


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def classify(exc: TwilioException, retry_after: float | None) -> SendError:
    """One place that decides: retry later, or never."""
    status = int(getattr(exc, "status", 0) or 0)
    code = int(getattr(exc, "code", None) or status)
    text = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or "error")
    message = mask_phones_in(f"Twilio {code} (HTTP {status}): {text}")
    if code in PERMANENT_CODES:
        return PermanentSendError(message, code=str(code))
    if code in TRANSIENT_CODES or status == 429 or status >= 500:
        return TransientSendError(message, retry_after=retry_after)
    return PermanentSendError(message, code=str(code))


def _midnight_of(moment: datetime) -> datetime:
    """The start of the moment's day in GMT: all of a `DateSent` filter that Twilio reads."""
    return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)


@dataclass(frozen=True)
class Sender:
    """Who a channel sends as: a number (`from_`) or a Messaging Service."""

    from_: str | None = None
    messaging_service_sid: str | None = None


class TwilioChannel:
    """SMS (`name="sms"`) or WhatsApp (`name="whatsapp"`) over Twilio's Messages API."""

    def __init__(
        self,
        name: str,
        client: Client,
        http: ChannelHttp,
        sender: Sender,
        status_callback: str | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._http = http
        self._sender = sender
        self._status_callback = status_callback

    @classmethod
    def build(
        cls,
        name: str,
        account_sid: str,
        auth_token: str,
        sender: Sender,
        *,
        base_url: str = TWILIO_API,
        timeout: float = 10.0,
        status_callback: str | None = None,
    ) -> TwilioChannel:
        """A channel with its own pooled client."""
        http = PooledHttpClient(base_url, timeout)
        client = Client(account_sid, auth_token, http_client=http)
        return cls(name, client, http, sender, status_callback)

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._http.close()

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.name == "whatsapp" else number

    def _params(self, message: OutboundMessage) -> dict[str, Any]:
        params: dict[str, Any] = {"to": self._address(message.to)}
        if self._sender.messaging_service_sid:
            params["messaging_service_sid"] = self._sender.messaging_service_sid
        if self._sender.from_:
            params["from_"] = self._address(self._sender.from_.removeprefix("whatsapp:"))
        if message.content_sid:
            params["content_sid"] = message.content_sid
            params["content_variables"] = json.dumps(message.content_variables or {})
        else:
            params["body"] = message.body
        if self._status_callback:
            params["status_callback"] = self._status_callback
        return params

    def send(self, message: OutboundMessage) -> Receipt:
        """Create the message at Twilio; raise Transient, Permanent or UnknownOutcome on failure."""
        try:
            created = self._client.messages.create(**self._params(message))
        except TwilioException as exc:
            raise classify(exc, self._http.last_retry_after()) from None
        except requests.exceptions.ReadTimeout:
            who = mask_phone(message.to)
            raise UnknownOutcomeError(f"Twilio did not answer in time for {who}") from None
        except requests.exceptions.RequestException as exc:
            raise TransientSendError(f"Twilio unreachable: {type(exc).__name__}") from None
        return Receipt(provider_message_id=created.sid, status=str(created.status or "queued"))

    def find_sent(
        self,
        to: str,
        body: str | None,
        since: datetime,
        until: datetime,
        exclude: Collection[str] = frozenset(),
    ) -> Receipt | None:
        """After an unknown outcome: the message Twilio created between `since` and `until`
        (the attempt's window) for this recipient, if it did. With `body` the text must match;
        without (a template message, whose text Twilio renders, or a send whose worker died
        before writing anything down) recipient and time decide, and the sids in `exclude`
        (messages already accounted for) are passed over.

        Twilio's `DateSent>=` filter reads only the day (GMT) of what it is given: it lists
        the recipient's messages sent since midnight, so each one's creation time is compared
        with the window here, to the second."""
        try:
            found = self._client.messages.list(
                to=self._address(to), date_sent_after=_midnight_of(since), limit=50
            )
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise TransientSendError(f"Twilio lookup failed: {type(exc).__name__}") from None
        for candidate in found:
            created = candidate.date_created
            in_window = created is not None and since <= created <= until
            mine = candidate.sid not in exclude and (body is None or candidate.body == body)
            if in_window and mine:
                return Receipt(provider_message_id=candidate.sid, status=str(candidate.status))
        return None
