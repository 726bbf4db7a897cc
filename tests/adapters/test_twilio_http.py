"""PooledHttpClient (urllib3) under the official twilio client, against the fake over real HTTP.

The reference is Twilio's own requests-based client (`RoutedHttpClient`): whatever the twilio
client asks for, the fake must receive the same request from both, byte for byte where it
matters (method, target, headers, body), and the channel must fail the same way.
"""

from __future__ import annotations

import base64
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import trustme
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.rest import Client
from urllib3 import exceptions as u3

from adapters.channels.base import (
    OutboundMessage,
    PermanentSendError,
    TransientSendError,
    UnknownOutcomeError,
)
from adapters.channels.twilio import RoutedHttpClient, Sender, TwilioChannel
from adapters.channels.twilio_http import PooledHttpClient, _as_requests_error
from tests.fakes import twilio as fake_module
from tests.fakes.smtp import free_port, silent_server
from tests.fakes.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_FROM, FakeTwilio

TO = "+5215512345678"
SERVICE_SID = "MG" + "1" * 32
CONTENT_SID = "HX" + "2" * 32
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class Seen:
    """One request as the fake's handler read it."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: str


@dataclass
class Wire:
    """What the fake received, and the connections it accepted."""

    requests: list[Seen]
    connections: list[int]

    def take(self) -> list[Seen]:
        taken, self.requests[:] = list(self.requests), []
        return taken


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Record at the fake's handler (every request reads its body there; every connection
    is set up once)."""
    seen = Wire([], [])
    handler: Any = fake_module._Handler
    read_body, setup = handler._read_body, handler.setup

    def recording_read_body(self: Any) -> str:
        raw: str = read_body(self)
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen.requests.append(Seen(self.command, self.path, headers, raw))
        return raw

    def counting_setup(self: Any) -> None:
        setup(self)
        seen.connections.append(self.client_address[1])

    monkeypatch.setattr(handler, "_read_body", recording_read_body)
    monkeypatch.setattr(handler, "setup", counting_setup)
    return seen


@pytest.fixture(autouse=True)
def no_proxy_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


def both_clients(base_url: str, timeout: float = 5.0) -> Iterator[tuple[str, HttpClient]]:
    for name, http in (
        ("requests", RoutedHttpClient(base_url, timeout)),
        ("urllib3", PooledHttpClient(base_url, timeout)),
    ):
        try:
            yield name, http
        finally:
            http.close()


def channel(base_url: str, name: str = "sms", timeout: float = 5.0) -> TwilioChannel:
    sender = Sender(DEFAULT_FROM) if name == "sms" else Sender(messaging_service_sid=SERVICE_SID)
    return TwilioChannel.build(
        name, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, sender, base_url=base_url, timeout=timeout
    )


def message(n: int = 1, to: str = TO) -> OutboundMessage:
    return OutboundMessage(n, "order_shipped", "sms", to, f"Pedido MX-{n}: va en camino ñ&=+")


# -- the same request on the wire ----------------------------------------------------------

Operation = Callable[[Client], object]


def create_sms(client: Client) -> object:
    return client.messages.create(
        to=TO,
        from_=DEFAULT_FROM,
        body="¡Tu pedido MX-1 va en camino! 100% & más: https://t.example/?a=1&b=2",
        status_callback="https://notifier.test/twilio/status",
    )


def create_template_with_media(client: Client) -> object:
    return client.messages.create(
        to=f"whatsapp:{TO}",
        messaging_service_sid=SERVICE_SID,
        content_sid=CONTENT_SID,
        content_variables='{"1": "MX-1", "2": "mañana"}',
        media_url=["https://m.example/a.png", "https://m.example/b.png"],
    )


def fetch_unknown(client: Client) -> object:
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "9" * 32).fetch()
    return raised.value.code


def list_recent(client: Client) -> object:
    since = datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
    return len(client.messages.list(to=TO, date_sent_after=since, limit=50))


def update_unknown(client: Client) -> object:
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).update(body="")
    return (raised.value.status, raised.value.code)


@pytest.mark.parametrize(
    "operation",
    [create_sms, create_template_with_media, fetch_unknown, list_recent, update_unknown],
)
def test_the_fake_receives_the_same_request_from_both_clients(
    fake: FakeTwilio, wire: Wire, operation: Operation
) -> None:
    received: dict[str, list[Seen]] = {}
    for name, http in both_clients(fake.base_url):
        operation(Client(fake.account_sid, fake.auth_token, http_client=http))
        received[name] = wire.take()

    old, new = received["requests"], received["urllib3"]
    assert new == old and new  # method, target (path and query), every header, the body
    for seen in new:
        assert seen.headers["user-agent"].startswith("twilio-python/")
        scheme, _, token = seen.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        assert base64.b64decode(token).decode() == f"{fake.account_sid}:{fake.auth_token}"


def test_form_fields_repeat_and_are_url_encoded(fake: FakeTwilio, wire: Wire) -> None:
    for _, http in both_clients(fake.base_url):
        create_template_with_media(Client(fake.account_sid, fake.auth_token, http_client=http))
    old, new = wire.take()

    assert new.headers["content-type"] == "application/x-www-form-urlencoded"
    pairs = parse_qsl(new.body, keep_blank_values=True)
    assert [v for k, v in pairs if k == "MediaUrl"] == [
        "https://m.example/a.png",
        "https://m.example/b.png",
    ]
    assert ("ContentVariables", '{"1": "MX-1", "2": "mañana"}') in pairs
    assert new.body == old.body


def test_raw_requests_match_too_json_bodies_lists_in_the_query_and_none_values(
    fake: FakeTwilio, wire: Wire
) -> None:
    """What the twilio client may pass besides the Messages API: JSON bodies, list params,
    None values (dropped), a query already in the URL."""
    url = f"https://api.twilio.com/2010-04-01/Accounts/{fake.account_sid}/Nothing.json?Page=2"
    calls: list[dict[str, Any]] = [
        {"method": "POST", "data": {"a": 1, "b": None, "c": ["x", None, "y"], "d": True}},
        {
            "method": "POST",
            "data": {"name": "ñ", "n": [1, 2]},
            "headers": {"Content-Type": "application/json", "Accept": "application/json"},
        },
        {"method": "GET", "params": {"To": TO, "Tag": ["a", "b"], "Skip": None}},
        {"method": "get", "params": {"DateSent>": "2024-05-01"}, "headers": {"Accept": None}},
    ]
    answers: dict[str, list[tuple[int, str]]] = {}
    for name, http in both_clients(fake.base_url):
        answers[name] = [
            (r.status_code, r.text)
            for r in (http.request(url=url, auth=("u", "p"), **call) for call in calls)
        ]
    seen = wire.take()
    old, new = seen[: len(calls)], seen[len(calls) :]

    assert new == old
    assert answers["urllib3"] == answers["requests"]
    assert {status for status, _ in answers["urllib3"]} == {404}


def test_the_answer_parses_the_same(fake: FakeTwilio) -> None:
    for _, http in both_clients(fake.base_url):
        client = Client(fake.account_sid, fake.auth_token, http_client=http)
        created = client.messages.create(to=TO, from_=DEFAULT_FROM, body="¡Hola, Ñandú!")
        assert created.sid.startswith("SM") and created.body == "¡Hola, Ñandú!"
        assert isinstance(created.date_created, datetime)
        last = http._test_only_last_response
        assert last is not None and last.status_code == 201
        assert last.headers["content-type"] == "application/json; charset=utf-8"
        assert http._test_only_last_request.method == "POST"


# -- failures, from the channel's point of view --------------------------------------------


def test_no_answer_in_time_is_an_unknown_outcome_and_twilio_has_the_message(
    fake: FakeTwilio,
) -> None:
    fake.hang_next(1, seconds=3.0)
    sms = channel(fake.base_url, timeout=0.3)
    try:
        with pytest.raises(UnknownOutcomeError) as raised:
            sms.send(message())
        assert TO not in str(raised.value) and "+52" in str(raised.value)
        assert len(fake.messages) == 1  # created before the answer that never came
        since = datetime.now(UTC) - timedelta(minutes=1)
        found = sms.find_sent(TO, message().body, since, datetime.now(UTC) + timedelta(minutes=1))
        assert found is not None and found.provider_message_id == fake.messages[0].sid
    finally:
        sms.close()


def test_a_server_that_never_answers_is_an_unknown_outcome() -> None:
    with silent_server() as port:
        sms = channel(f"http://127.0.0.1:{port}", timeout=0.3)
        with pytest.raises(UnknownOutcomeError):
            sms.send(message())
        sms.close()


def test_a_closed_port_is_transient_for_send_and_lookup() -> None:
    sms = channel(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    with pytest.raises(TransientSendError) as raised:
        sms.send(message())
    assert str(raised.value) == "Twilio unreachable: ConnectionError"
    now = datetime.now(UTC)
    with pytest.raises(TransientSendError, match="Twilio lookup failed: ConnectionError"):
        sms.find_sent(TO, None, now - timedelta(minutes=1), now)
    sms.close()


@pytest.fixture
def tls_port() -> Iterator[int]:
    """An HTTPS server whose certificate no public authority signed (trustme's)."""
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_refused_as_by_requests(tls_port: int) -> None:
    for _, http in both_clients(f"https://127.0.0.1:{tls_port}"):
        with pytest.raises(requests.exceptions.SSLError):
            http.request("GET", "https://api.twilio.com/2010-04-01/Accounts.json")
    sms = channel(f"https://127.0.0.1:{tls_port}")
    with pytest.raises(TransientSendError, match="Twilio unreachable: SSLError"):
        sms.send(message())
    sms.close()


def test_urllib3_failures_become_the_errors_requests_raises() -> None:
    timed_out = u3.ReadTimeoutError(None, "/", "t")  # type: ignore[arg-type]
    assert isinstance(_as_requests_error(timed_out), requests.ReadTimeout)
    connect = _as_requests_error(u3.ConnectTimeoutError("connect timed out"))
    assert isinstance(connect, requests.ConnectTimeout)
    assert not isinstance(connect, requests.ReadTimeout)
    dns = _as_requests_error(u3.NameResolutionError("x.invalid", None, OSError("no")))  # type: ignore[arg-type]
    assert type(dns) is requests.ConnectionError
    assert type(_as_requests_error(u3.ProtocolError("reset"))) is requests.ConnectionError
    assert isinstance(_as_requests_error(u3.SSLError("bad cert")), requests.exceptions.SSLError)


def test_twilios_error_json_is_classified_and_numbers_masked(fake: FakeTwilio) -> None:
    fake.fail_next(1, status=400, code=21211)
    sms = channel(fake.base_url)
    try:
        with pytest.raises(PermanentSendError) as raised:
            sms.send(message())
    finally:
        sms.close()
    assert raised.value.code == "21211" and TO not in str(raised.value)


def test_retry_after_of_a_429_is_kept_for_its_own_thread(fake: FakeTwilio) -> None:
    http = PooledHttpClient(fake.base_url, 5.0)
    client = Client(fake.account_sid, fake.auth_token, http_client=http)
    limited, other_sent = threading.Event(), threading.Event()
    seen: dict[str, float | None] = {}

    def rate_limited() -> None:
        fake.fail_next(1, status=429, retry_after=7)
        with pytest.raises(TwilioRestException):
            client.messages.create(to=TO, from_=DEFAULT_FROM, body="a")
        limited.set()
        assert other_sent.wait(5)
        seen["limited"] = http.last_retry_after()

    def sends_fine() -> None:
        assert limited.wait(5)
        client.messages.create(to=TO, from_=DEFAULT_FROM, body="b")
        seen["fine"] = http.last_retry_after()
        other_sent.set()

    try:
        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(rate_limited), pool.submit(sends_fine)]:
                done.result()
    finally:
        http.close()
    assert seen == {"limited": 7.0, "fine": None}


def test_a_rate_limited_send_is_transient_with_twilios_retry_after(fake: FakeTwilio) -> None:
    fake.fail_next(1, status=429, retry_after=7)
    sms = channel(fake.base_url)
    try:
        with pytest.raises(TransientSendError) as raised:
            sms.send(message())
    finally:
        sms.close()
    assert raised.value.retry_after == 7.0


# -- many threads, few connections ---------------------------------------------------------


def test_sixteen_threads_sending_fifty_each_all_succeed_over_reused_connections(
    fake: FakeTwilio, wire: Wire
) -> None:
    sms = channel(fake.base_url)
    http = sms._http
    assert isinstance(http, PooledHttpClient)

    def send_fifty(thread: int) -> list[str | None]:
        return [
            sms.send(message(thread * 100 + n, f"+52155{thread:04d}{n:04d}")).provider_message_id
            for n in range(50)
        ]

    try:
        with ThreadPoolExecutor(16) as pool:
            sids = [sid for batch in pool.map(send_fifty, range(16)) for sid in batch]
    finally:
        opened = http.base_connections_opened
        sms.close()

    assert len(set(sids)) == 800 and len(fake.messages) == 800
    assert {m.sid for m in fake.messages} == set(sids)
    assert len(wire.connections) == opened
    assert 1 <= opened <= 16  # one per sending thread at most, never one per message


def test_close_releases_the_connections_and_the_channel_still_sends(
    fake: FakeTwilio, wire: Wire
) -> None:
    sms = channel(fake.base_url)
    sms.send(message(1))
    sms.send(message(2))
    assert len(wire.connections) == 1
    sms.close()
    sms.send(message(3))
    sms.close()
    assert len(wire.connections) == 2 and len(fake.messages) == 3


# -- proxies, read from the environment once ------------------------------------------------


def test_an_http_proxy_from_the_environment_carries_the_request(
    fake: FakeTwilio, wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fake doubles as the proxy: it answers an absolute-form request like a plain one,
    and the base URL's host does not even resolve, so only the proxy can have delivered it."""
    proxy_port = fake.base_url.rpartition(":")[2]
    monkeypatch.setenv("HTTP_PROXY", f"http://shop:s%40cret@127.0.0.1:{proxy_port}")
    for _, http in both_clients("http://twilio.invalid"):
        create_sms(Client(fake.account_sid, fake.auth_token, http_client=http))
    old, new = wire.take()

    assert new == old
    assert new.target.startswith("http://twilio.invalid/2010-04-01/Accounts/")
    credentials = new.headers["proxy-authorization"].removeprefix("Basic ")
    assert base64.b64decode(credentials).decode() == "shop:s@cret"
    assert len(fake.messages) == 2


def test_no_proxy_for_the_base_url_sends_directly(
    fake: FakeTwilio, wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # would be refused
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    sms = channel(fake.base_url)
    monkeypatch.delenv("NO_PROXY")  # read once, at construction
    try:
        sms.send(message())
    finally:
        sms.close()
    [seen] = wire.take()
    assert seen.target.startswith("/2010-04-01/") and "proxy-authorization" not in seen.headers
