"""The Twilio fake, driven by the real ``twilio`` client over real HTTP.

What the client parses is what the adapter will see: if these pass, the fake answers the way
Twilio's own client expects Twilio to answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.twilio import (
    DEFAULT_FROM,
    Failure,
    FakeTwilio,
    inbound_form,
    num_segments,
    sign,
    status_callback_form,
)

TWILIO_API = "https://api.twilio.com"
TO = "+5215512345678"
WHATSAPP_TO = f"whatsapp:{TO}"
SERVICE_SID = "MG" + "1" * 32
CONTENT_SID = "HX" + "2" * 32


class FakeRoutedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Twilio's own HTTP client, sending to the fake instead of api.twilio.com."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


@pytest.fixture
def http(fake: FakeTwilio) -> Iterator[FakeRoutedHttpClient]:
    client = FakeRoutedHttpClient(fake.base_url)
    yield client
    client.close()


@pytest.fixture
def client(fake: FakeTwilio, http: FakeRoutedHttpClient) -> Client:
    return Client(fake.account_sid, fake.auth_token, http_client=http)


def send(client: Client, to: str = TO, body: str = "Tu pedido va en camino", **more: Any) -> Any:
    return client.messages.create(to=to, from_=DEFAULT_FROM, body=body, **more)


def create_error(client: Client, **params: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**params)
    return raised.value


# -- creating ------------------------------------------------------------------------------


def test_a_created_message_has_an_sm_sid_and_is_recorded(fake: FakeTwilio, client: Client) -> None:
    created = send(client, status_callback="https://notifier.test/twilio/status")

    assert created.sid.startswith("SM") and len(created.sid) == 34
    [recorded] = fake.messages
    assert recorded.sid == created.sid
    assert (recorded.to, recorded.from_, recorded.body) == (TO, DEFAULT_FROM, created.body)
    assert recorded.status_callback == "https://notifier.test/twilio/status"
    assert recorded.form["To"] == TO and recorded.outcome == "accepted"
    assert fake.accepted_to(TO) == [recorded]
    assert fake.count_by(TO, "Tu pedido va en camino") == 1


def test_the_created_message_parses_like_twilios_own(fake: FakeTwilio, client: Client) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    created = send(client, body="¡Hola, Ñandú! " * 6)

    assert created.status == "queued" and created.direction == "outbound-api"
    assert created.account_sid == fake.account_sid
    assert created.from_ == DEFAULT_FROM and created.to == TO
    assert created.num_segments == "2"  # "ú" is not GSM-7: 84 UCS-2 units, 2 parts of 67
    assert created.num_media == "0" and created.price is None and created.error_code is None
    assert isinstance(created.date_created, datetime)
    assert before <= created.date_created <= datetime.now(UTC)
    assert created.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{created.sid}.json"
    assert created.subresource_uris["media"].endswith(f"/Messages/{created.sid}/Media.json")


def test_segments_are_counted_in_gsm7_or_else_ucs2() -> None:
    assert num_segments("a" * 160) == 1
    assert num_segments("a" * 161) == 2
    assert num_segments("{" * 80) == 1  # extension characters take two septets
    assert num_segments("ú" * 70) == 1
    assert num_segments("ú" * 71) == 2


def test_a_template_message_records_its_content_sid_and_parsed_variables(
    fake: FakeTwilio, client: Client
) -> None:
    variables = {"1": "MX-1001", "2": "mañana"}
    created = client.messages.create(
        to=WHATSAPP_TO,
        messaging_service_sid=SERVICE_SID,
        content_sid=CONTENT_SID,
        content_variables=json.dumps(variables),
    )

    [recorded] = fake.messages
    assert recorded.sid == created.sid
    assert recorded.content_sid == CONTENT_SID and recorded.body is None
    assert recorded.content_variables == variables
    assert recorded.messaging_service_sid == SERVICE_SID and recorded.from_ is None
    # Through a Messaging Service the sender is not picked yet, as at Twilio.
    assert created.status == "accepted" and created.from_ is None
    assert created.messaging_service_sid == SERVICE_SID
    assert fake.count_by(WHATSAPP_TO, CONTENT_SID) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"to": "", "from_": DEFAULT_FROM, "body": "x"}, 21604),
        ({"to": TO, "body": "x"}, 21603),
        ({"to": TO, "from_": DEFAULT_FROM}, 21602),
        ({"to": TO, "messaging_service_sid": SERVICE_SID}, 21619),
        (
            {"to": TO, "from_": DEFAULT_FROM, "content_sid": CONTENT_SID, "content_variables": "{"},
            21656,
        ),
    ],
    ids=["no To", "no From", "no Body", "no content via a service", "bad ContentVariables"],
)
def test_missing_parameters_are_refused_with_twilios_codes(
    fake: FakeTwilio, client: Client, params: dict[str, Any], code: int
) -> None:
    error = create_error(client, **params)

    assert (error.status, error.code) == (400, code)
    assert fake.messages == []
    assert fake.attempts[-1].outcome == Failure(400, code)


# -- injected failures ---------------------------------------------------------------------


def test_an_injected_invalid_number_raises_a_twilio_exception_with_code_21211(
    fake: FakeTwilio, client: Client
) -> None:
    fake.fail_next(1, status=400, code=21211)

    with pytest.raises(TwilioException) as raised:
        send(client)

    error = raised.value
    assert isinstance(error, TwilioRestException)
    assert (error.code, error.status) == (21211, 400)
    invalid = f"The 'To' number {TO} is not a valid phone number."
    assert error.msg == f"Unable to create record: {invalid}"
    assert fake.messages == [] and fake.attempts[-1].sid is None
    assert send(client).sid.startswith("SM")  # only the next one failed


@pytest.mark.parametrize(
    ("status", "code", "expected_code"),
    [
        (400, 21610, 21610),
        (400, 21408, 21408),
        (400, 21614, 21614),
        (400, 63003, 63003),
        (500, None, 20500),
        (503, None, 20503),
        (502, None, 502),  # no Twilio code for it: a plain-text answer, the client uses the status
    ],
)
def test_injected_failures_reach_the_client_with_their_status_and_code(
    fake: FakeTwilio, client: Client, status: int, code: int | None, expected_code: int
) -> None:
    fake.fail_next(2, status=status, code=code)

    for _ in range(2):
        error = create_error(client, to=TO, from_=DEFAULT_FROM, body="hola")
        assert (error.status, error.code) == (status, expected_code)
    assert send(client).sid.startswith("SM")
    assert [a.accepted for a in fake.attempts] == [False, False, True]


def test_a_rate_limit_carries_retry_after(
    fake: FakeTwilio, client: Client, http: FakeRoutedHttpClient
) -> None:
    fake.fail_next(1, status=429, code=20429, retry_after=7)

    error = create_error(client, to=TO, from_=DEFAULT_FROM, body="hola")

    assert (error.status, error.code) == (429, 20429)
    assert http._test_only_last_response.headers["Retry-After"] == "7"


def test_a_rate_limit_is_twilios_error_json_over_plain_http(fake: FakeTwilio) -> None:
    fake.fail_next(1, status=429, code=20429, retry_after=2)
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    form = {"To": TO, "From": DEFAULT_FROM, "Body": "hola"}

    with requests.Session() as session:
        answer = session.post(url, data=form, auth=(fake.account_sid, fake.auth_token))

    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert answer.json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }


def test_numbers_set_to_fail_fail_every_time_on_any_channel(
    fake: FakeTwilio, client: Client
) -> None:
    fake.fail_for_numbers({TO: (400, 21211)})

    for to in (TO, WHATSAPP_TO, TO):
        assert create_error(client, to=to, from_=DEFAULT_FROM, body="x").code == 21211
    assert send(client, to="+5215500000000").sid.startswith("SM")
    assert [m.to for m in fake.messages] == ["+5215500000000"]


def test_random_failures_hit_about_the_ratio_and_repeat_with_the_same_seed(
    fake: FakeTwilio, client: Client
) -> None:
    def run() -> list[int | None]:
        fake.reset()
        fake.fail_randomly(0.3, seed=42)
        codes: list[int | None] = []
        for _ in range(200):
            try:
                send(client)
                codes.append(None)
            except TwilioRestException as error:
                codes.append(error.code)
        return codes

    first = run()
    failed = [code for code in first if code is not None]

    assert 0.15 * 200 <= len(failed) <= 0.45 * 200
    assert set(failed) == {20500, 20429}
    assert len(fake.messages) == 200 - len(failed)
    assert run() == first


def test_a_hung_send_times_out_yet_the_message_is_found_by_fetch(fake: FakeTwilio) -> None:
    fake.hang_next(1, seconds=5.0)
    impatient = FakeRoutedHttpClient(fake.base_url, timeout=0.3)
    client = Client(fake.account_sid, fake.auth_token, http_client=impatient)
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            send(client)
        sid = fake.attempts[-1].sid
        assert sid is not None

        found = client.messages(sid).fetch()
    finally:
        impatient.close()

    assert found.sid == sid and found.to == TO and found.status == "queued"
    assert [m.sid for m in fake.messages] == [sid]


def test_fetch_shows_a_status_set_later(fake: FakeTwilio, client: Client) -> None:
    sid = send(client).sid
    fake.set_status(sid, "undelivered", error_code=30003, error_message="Unreachable handset")

    found = client.messages(sid).fetch()

    assert (found.status, found.error_code) == ("undelivered", 30003)
    assert isinstance(found.date_sent, datetime)


def test_fetching_an_unknown_message_raises_20404(fake: FakeTwilio, client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()

    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_wrong_credentials_are_refused_with_20003(
    fake: FakeTwilio, http: FakeRoutedHttpClient
) -> None:
    intruder = Client(fake.account_sid, "not-the-token", http_client=http)

    error = create_error(intruder, to=TO, from_=DEFAULT_FROM, body="x")

    assert (error.status, error.code) == (401, 20003)
    assert "Authenticate" in error.msg
    assert fake.messages == [] and fake.attempts[-1].outcome == Failure(401, 20003)


def test_listing_finds_messages_by_recipient_and_date(fake: FakeTwilio, client: Client) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    sids = [send(client, body=f"#{n}").sid for n in range(3)]
    send(client, to="+5215500000000")

    found = client.messages.list(to=TO, date_sent_after=since, limit=50)
    paged = client.messages.list(to=TO, page_size=2)
    none_yet = client.messages.list(to=TO, date_sent_after=since + timedelta(days=1))

    assert [m.sid for m in found] == sids[::-1]  # newest first, like Twilio
    assert [m.sid for m in paged] == sids[::-1]  # read across two pages
    assert none_yet == []


def test_the_date_filters_read_only_the_day_like_twilios(fake: FakeTwilio, client: Client) -> None:
    sid = send(client).sid
    created = client.messages(sid).fetch().date_created
    later_that_day = created.replace(hour=23, minute=59, second=59)
    midnight = created.replace(hour=0, minute=0, second=0)

    def listed(**dates: datetime) -> list[str]:
        return [m.sid for m in client.messages.list(to=TO, **dates)]

    assert listed(date_sent_after=later_that_day) == [sid]  # ">= that day", not that instant
    assert listed(date_sent=later_that_day) == [sid]
    assert listed(date_sent_before=later_that_day) == []  # "<= that day's midnight"
    assert listed(date_sent_before=midnight + timedelta(days=1)) == [sid]
    assert listed(date_sent_after=midnight + timedelta(days=1)) == []
    assert listed(date_sent=midnight - timedelta(days=1)) == []
    assert fake.list_queries[0]["DateSent>"] == later_that_day.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the server ----------------------------------------------------------------------------


def test_concurrent_clients_are_all_served_and_recorded(fake: FakeTwilio) -> None:
    def worker(number: int) -> list[str]:
        http = FakeRoutedHttpClient(fake.base_url)
        client = Client(fake.account_sid, fake.auth_token, http_client=http)
        try:
            return [send(client, to=f"+52155{number:08d}").sid for _ in range(25)]
        finally:
            http.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        sids = [sid for batch in pool.map(worker, range(8)) for sid in batch]

    assert len(set(sids)) == 200
    assert {m.sid for m in fake.messages} == set(sids)
    assert all(fake.count_by(f"+52155{n:08d}", "Tu pedido va en camino") == 25 for n in range(8))


def test_the_server_writes_no_access_log(
    fake: FakeTwilio, client: Client, capfd: pytest.CaptureFixture[str]
) -> None:
    send(client)
    create_error(client, to=TO, from_=DEFAULT_FROM)

    assert capfd.readouterr().err == ""


def test_reset_forgets_failures_and_messages(fake: FakeTwilio, client: Client) -> None:
    send(client)
    fake.fail_next(3, status=500)
    fake.fail_for_numbers({TO: (400, 21610)})

    fake.reset()

    assert fake.messages == [] and fake.attempts == []
    assert send(client).sid.startswith("SM")


def test_stop_closes_the_port() -> None:
    fake = FakeTwilio().start()
    url = fake.base_url
    fake.stop()

    with pytest.raises(requests.exceptions.ConnectionError), requests.Session() as session:
        session.get(url, timeout=1)
    with pytest.raises(RuntimeError):
        _ = fake.base_url


# -- webhooks ------------------------------------------------------------------------------


def test_the_signature_helper_agrees_with_the_request_validator(fake: FakeTwilio) -> None:
    url = "https://notifier.test/twilio/status?channel=sms"
    forms = [
        status_callback_form("SM" + "3" * 32, "undelivered", 30003, account_sid=fake.account_sid),
        inbound_form(WHATSAPP_TO, "STOP", profile_name="Ana"),
    ]
    validator = RequestValidator(fake.auth_token)

    for form in forms:
        signature = sign(url, form, fake.auth_token)
        assert validator.validate(url, form, signature)
        assert fake.signature(url, form) == signature
        assert not validator.validate(url, {**form, "Body": "tampered"}, signature)


def test_webhook_forms_carry_twilios_fields() -> None:
    status = status_callback_form("SM" + "4" * 32, "delivered", to=TO)
    inbound = inbound_form(WHATSAPP_TO, "Hola")

    assert status["MessageStatus"] == status["SmsStatus"] == "delivered"
    assert status["MessageSid"] == status["SmsSid"] and "ErrorCode" not in status
    assert status["To"] == TO and status["ApiVersion"] == "2010-04-01"
    assert inbound["From"] == WHATSAPP_TO and inbound["To"] == DEFAULT_FROM
    assert inbound["WaId"] == TO.lstrip("+") and inbound["NumMedia"] == "0"
    assert inbound["MessageSid"].startswith("SM") and inbound["Body"] == "Hola"


def test_an_outage_fails_every_create_in_turn_until_it_ends(
    fake: FakeTwilio, client: Client, http: FakeRoutedHttpClient
) -> None:
    ends = fake.outage(0.5, retry_after=3)

    codes = [create_error(client, to=TO, from_=DEFAULT_FROM, body="x").code for _ in range(3)]
    assert codes == [20429, 20500, 20429]
    assert http._test_only_last_response.headers["Retry-After"] == "3"
    time.sleep(max(0.0, ends - time.monotonic()))
    assert send(client).sid.startswith("SM")
    assert [a.accepted for a in fake.attempts] == [False, False, False, True]
