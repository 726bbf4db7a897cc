"""The SMTP channel against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import dataclasses
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from adapters.channels.base import OutboundMessage, PermanentSendError, TransientSendError
from adapters.channels.smtp import SmtpChannel, classify, parse_smtp_url
from tests.fakes.smtp import FakeSmtp, free_port, silent_server

SENDER = "Tienda Ejemplo <pedidos@shop.example.com>"
TO = "ana.perez@example.com"
PASSWORD = "s3cr3t-p@ss:w/rd%"  # needs URL-encoding: s3cr3t-p%40ss%3Aw%2Frd%25
ENCODED_PASSWORD = "s3cr3t-p%40ss%3Aw%2Frd%25"


def outbound(notification_id: int = 7, **changes: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "notification_id": notification_id,
        "kind": "order_shipped",
        "channel": "email",
        "to": TO,
        "subject": "Your order is on its way",
        "body": "Hello Ana, your order shipped.",
        "html": "<p>Hello Ana, your order <b>shipped</b>.</p>",
    }
    fields.update(changes)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def channel_for(smtp: FakeSmtp, query: str = "", **kwargs: object) -> SmtpChannel:
    credentials = f"{smtp.user}:{ENCODED_PASSWORD}@" if smtp.user else ""
    scheme = "smtps" if smtp.tls == "implicit" else "smtp"
    url = f"{scheme}://{credentials}{smtp.host}:{smtp.port}{query}"
    context = smtp.client_ssl_context() if smtp.tls else None
    return SmtpChannel.from_url(url, SENDER, timeout=5.0, ssl_context=context, **kwargs)  # type: ignore[arg-type]


def only_message(smtp: FakeSmtp) -> EmailMessage:
    assert len(smtp.messages) == 1
    return smtp.messages[0].message


def body_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp() as server:
        yield server


def tls_server(**kwargs: object) -> FakeSmtp:
    server = FakeSmtp(**kwargs)  # type: ignore[arg-type]
    server.start()
    return server


# --- what arrives ---------------------------------------------------------------------------


def test_a_multipart_text_and_html_message_arrives_with_the_right_headers(smtp: FakeSmtp) -> None:
    receipt = channel_for(smtp).send(outbound())

    received = smtp.messages[0]
    message = only_message(smtp)
    assert received.mail_from == "pedidos@shop.example.com"
    assert received.rcpt_tos == (TO,)
    assert message["From"] == SENDER
    assert message["To"] == TO
    assert message["Subject"] == "Your order is on its way"
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert body_of(message, "plain").strip() == "Hello Ana, your order shipped."
    assert body_of(message, "html").strip() == "<p>Hello Ana, your order <b>shipped</b>.</p>"
    assert receipt.provider_message_id == message["Message-ID"]
    assert receipt.status == "sent"


def test_a_message_without_html_is_plain_text(smtp: FakeSmtp) -> None:
    channel_for(smtp).send(outbound(html=None))

    message = only_message(smtp)
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Hello Ana, your order shipped."


def test_marketing_messages_carry_list_unsubscribe_and_transactional_ones_do_not(
    smtp: FakeSmtp,
) -> None:
    channel = channel_for(smtp)
    channel.send(outbound(1, marketing=True))
    channel.send(outbound(2, marketing=False))

    marketing, transactional = (received.message for received in smtp.messages)
    unsubscribe = "<mailto:pedidos@shop.example.com?subject=unsubscribe>"
    assert marketing["List-Unsubscribe"] == unsubscribe
    assert marketing["List-Unsubscribe-Post"] is None  # one-click needs an https URL
    assert transactional["List-Unsubscribe"] is None
    assert transactional["List-Unsubscribe-Post"] is None


def test_an_unsubscribe_url_adds_an_https_link_and_one_click_unsubscribe(smtp: FakeSmtp) -> None:
    template = "https://shop.example.com/unsubscribe?c={notification_id}&token=" + "a" * 80
    channel_for(smtp, unsubscribe_url=template).send(outbound(42, marketing=True))

    header = " ".join(str(only_message(smtp)["List-Unsubscribe"]).split())
    https = "https://shop.example.com/unsubscribe?c=42&token=" + "a" * 80
    assert header == f"<{https}>"  # no mailto to a mailbox nothing reads
    assert only_message(smtp)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_messages_own_unsubscribe_url_is_the_one_click_link(smtp: FakeSmtp) -> None:
    own = "https://notifier.example.com/unsubscribe/" + "T" * 32
    message = dataclasses.replace(outbound(7, marketing=True), unsubscribe_url=own)
    channel_for(smtp, unsubscribe_url="https://elsewhere.example/{notification_id}").send(message)

    assert only_message(smtp)["List-Unsubscribe"] == f"<{own}>"
    assert only_message(smtp)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_message_id_is_deterministic_per_notification(smtp: FakeSmtp) -> None:
    channel = channel_for(smtp)
    first = channel.send(outbound(99))
    again = channel.send(outbound(99))
    other = channel.send(outbound(100))

    ids = [received.message["Message-ID"] for received in smtp.messages]
    assert ids == ["<notification-99@shop.example.com>"] * 2 + [
        "<notification-100@shop.example.com>"
    ]
    assert first.provider_message_id == again.provider_message_id != other.provider_message_id


def test_spanish_and_portuguese_accents_and_emoji_arrive_intact(smtp: FakeSmtp) -> None:
    subject = "¡Tu pedido está en camino! 🚚 Ação: informação"
    body = "Olá, João! Señora Muñoz, su pedido nº 12 llegó. Obrigado 🎉☕"
    html = "<p>Olá, João! ¿Qué tal? 🚚</p>"
    channel_for(smtp).send(outbound(subject=subject, body=body, html=html))

    message = only_message(smtp)
    assert message["Subject"] == subject
    assert body_of(message, "plain").strip() == body
    assert body_of(message, "html").strip() == html


# --- failures -------------------------------------------------------------------------------


def test_a_451_reply_to_data_is_transient(smtp: FakeSmtp) -> None:
    smtp.fail_next(1, 451, "4.3.0 Try again later")

    with pytest.raises(TransientSendError, match="451"):
        channel_for(smtp).send(outbound())
    assert smtp.messages == []


def test_a_451_reply_to_rcpt_is_transient(smtp: FakeSmtp) -> None:
    smtp.fail_next(1, 451, "4.2.1 Mailbox busy", at="RCPT")

    with pytest.raises(TransientSendError, match="451"):
        channel_for(smtp).send(outbound())


def test_a_550_reply_to_rcpt_is_permanent_with_code_550_and_the_address_masked(
    smtp: FakeSmtp,
) -> None:
    smtp.fail_next(1, 550, f"5.1.1 <{TO}>: Recipient address rejected", at="RCPT")

    with pytest.raises(PermanentSendError) as caught:
        channel_for(smtp).send(outbound())
    assert caught.value.code == "550"
    assert "550" in str(caught.value)
    assert "Recipient address rejected" in str(caught.value)
    assert "a***@example.com" in str(caught.value)
    assert "ana.perez" not in str(caught.value)
    assert caught.value.__suppress_context__  # the unmasked original is not chained


def test_a_550_reply_to_data_is_permanent_with_code_550(smtp: FakeSmtp) -> None:
    smtp.fail_next(1, 550, "5.7.1 Message rejected as spam")

    with pytest.raises(PermanentSendError, match=r"5\.7\.1 Message rejected as spam") as caught:
        channel_for(smtp).send(outbound())
    assert caught.value.code == "550"


def test_failures_are_injected_only_for_the_next_n_messages(smtp: FakeSmtp) -> None:
    channel = channel_for(smtp)
    smtp.fail_next(2, 451, "4.3.0 Try again later")

    for _ in range(2):
        with pytest.raises(TransientSendError):
            channel.send(outbound())
    channel.send(outbound())
    assert len(smtp.messages) == 1


def test_a_closed_port_is_transient() -> None:
    channel = SmtpChannel.from_url(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=2.0)

    with pytest.raises(TransientSendError, match="ConnectionRefusedError"):
        channel.send(outbound())


def test_a_server_that_never_answers_times_out_as_transient_within_about_the_timeout() -> None:
    with silent_server() as port:
        channel = SmtpChannel.from_url(f"smtp://127.0.0.1:{port}", SENDER, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(TransientSendError, match="timed out"):
            channel.send(outbound())
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 2.0


def test_a_header_that_cannot_be_built_is_permanent_without_connecting() -> None:
    channel = SmtpChannel.from_url(f"smtp://127.0.0.1:{free_port()}", SENDER)

    with pytest.raises(PermanentSendError, match="invalid header") as caught:
        channel.send(outbound(to="ana.perez@example.com\r\nBcc: all@example.com"))
    assert "ana.perez" not in str(caught.value)


# --- AUTH -----------------------------------------------------------------------------------


def test_auth_with_the_right_url_encoded_password_delivers() -> None:
    with FakeSmtp(user="shop", password=PASSWORD) as smtp:
        channel_for(smtp).send(outbound())

    assert smtp.messages[0].user == "shop"


def test_auth_with_a_wrong_password_is_permanent_535_and_never_shows_the_password() -> None:
    with (
        FakeSmtp(user="shop", password="the-real-one") as smtp,
        pytest.raises(PermanentSendError) as caught,
    ):
        channel_for(smtp).send(outbound())

    assert caught.value.code == "535"
    assert "535" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert ENCODED_PASSWORD not in str(caught.value)
    assert smtp.messages == []


def test_a_server_that_requires_auth_refuses_a_channel_without_credentials() -> None:
    with FakeSmtp(user="shop", password=PASSWORD) as smtp:
        channel = SmtpChannel.from_url(f"smtp://{smtp.host}:{smtp.port}", SENDER)
        with pytest.raises(PermanentSendError) as caught:
            channel.send(outbound())

    assert caught.value.code == "530"


# --- TLS ------------------------------------------------------------------------------------


def test_starttls_when_required_and_offered_delivers_over_tls() -> None:
    smtp = tls_server(user="shop", password=PASSWORD, tls="starttls")
    try:
        channel_for(smtp, "?starttls=1").send(outbound())
    finally:
        smtp.stop()

    assert smtp.messages[0].tls
    assert smtp.messages[0].user == "shop"


def test_starttls_when_required_but_not_offered_is_permanent(smtp: FakeSmtp) -> None:
    with pytest.raises(PermanentSendError, match="STARTTLS"):
        channel_for(smtp, "?starttls=1").send(outbound())
    assert smtp.messages == []


def test_smtps_delivers_over_implicit_tls() -> None:
    smtp = tls_server(user="shop", password=PASSWORD, tls="implicit")
    try:
        channel_for(smtp).send(outbound())
    finally:
        smtp.stop()

    assert smtp.messages[0].tls
    assert smtp.messages[0].user == "shop"


def test_an_untrusted_certificate_is_refused_by_the_default_tls_context() -> None:
    smtp = tls_server(tls="implicit")
    try:
        channel = SmtpChannel.from_url(f"smtps://{smtp.host}:{smtp.port}", SENDER, timeout=5.0)
        with pytest.raises(TransientSendError, match="CERTIFICATE_VERIFY_FAILED"):
            channel.send(outbound())
    finally:
        smtp.stop()
    assert smtp.messages == []


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mx.example", ("mx.example", 25, "plain", None, None)),
        ("smtp://u:p@mx.example:2525", ("mx.example", 2525, "plain", "u", "p")),
        ("smtp://u:p@mx.example:587?starttls=1", ("mx.example", 587, "starttls", "u", "p")),
        ("smtp://mx.example?starttls=0", ("mx.example", 25, "plain", None, None)),
        ("smtps://u:p@mx.example", ("mx.example", 465, "tls", "u", "p")),
        ("SMTPS://mx.example:10465/", ("mx.example", 10465, "tls", None, None)),
        (
            f"smtp://me%40example.com:{ENCODED_PASSWORD}@mx.example",
            ("mx.example", 25, "plain", "me@example.com", PASSWORD),
        ),
    ],
)
def test_smtp_urls_are_parsed_with_default_ports_and_decoded_credentials(
    url: str, expected: tuple[object, ...]
) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://u:hunter2@mail.example.com", "smtp:// or smtps://"),
        ("u:hunter2@mail.example.com", "smtp:// or smtps://"),
        ("smtp://u:hunter2@", "no host"),
        ("smtp://u:hunter2@mail.example.com:port", "malformed"),
        ("smtp://u:hunter2@mail.example.com:99999", "malformed"),
        ("smtp://u:hunter2@mail.example.com:0", "between 1 and 65535"),
        ("smtp://u:hunter2@mail.example.com/inbox", "path"),
        ("smtp://u:hunter2@mail.example.com?tls=1", "unknown parameter 'tls'"),
        ("smtp://u:hunter2@mail.example.com?starttls=maybe", "starttls must be 1 or 0"),
        ("smtps://u:hunter2@mail.example.com?starttls=1", "already TLS"),
        ("smtp://:hunter2@mail.example.com", "no user"),
        ("smtp://u@mail.example.com", "no password"),
    ],
)
def test_a_bad_url_raises_value_error_naming_the_problem_but_not_the_password(
    url: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        SmtpChannel.from_url(url, SENDER)
    assert "hunter2" not in str(caught.value)


def test_repr_masks_the_password() -> None:
    channel = SmtpChannel.from_url(
        f"smtp://shop:{ENCODED_PASSWORD}@mail.example.com:587?starttls=1", SENDER
    )

    shown = repr(channel)
    assert "smtp://shop:***@mail.example.com:587?starttls=1" in shown
    assert PASSWORD not in shown
    assert ENCODED_PASSWORD not in shown


def test_the_sender_and_the_unsubscribe_url_are_checked_up_front() -> None:
    with pytest.raises(ValueError, match="sender"):
        SmtpChannel.from_url("smtp://mail.example.com", "Shop")
    with pytest.raises(ValueError, match="https"):
        SmtpChannel.from_url(
            "smtp://mail.example.com", SENDER, unsubscribe_url="http://x.example/u"
        )


# --- classification -------------------------------------------------------------------------


TRANSIENT, PERMANENT = TransientSendError, PermanentSendError


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 later"), TRANSIENT, None),
        (smtplib.SMTPDataError(554, b"5.7.1 no"), PERMANENT, "554"),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad"), PERMANENT, "535"),
        (smtplib.SMTPAuthenticationError(454, b"4.7.0 later"), TRANSIENT, None),
        (smtplib.SMTPSenderRefused(553, b"5.1.8 bad sender", "a@b.example"), PERMANENT, "553"),
        (smtplib.SMTPRecipientsRefused({TO: (450, b"busy")}), TRANSIENT, None),
        (smtplib.SMTPRecipientsRefused({TO: (550, b"no such user")}), PERMANENT, "550"),
        (smtplib.SMTPConnectError(421, b"too busy"), TRANSIENT, None),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TRANSIENT, None),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported"), PERMANENT, None),
        (ConnectionResetError(104, "Connection reset by peer"), TRANSIENT, None),
        (TimeoutError("timed out"), TRANSIENT, None),
        (OSError(113, "No route to host"), TRANSIENT, None),
    ],
)
def test_classify_sorts_smtp_and_network_errors(
    exc: BaseException, kind: type[Exception], code: str | None
) -> None:
    error = classify(exc)

    assert type(error) is kind
    assert getattr(error, "code", None) == code


def test_classify_never_quotes_the_text_of_an_unexpected_error() -> None:
    leaky = UnicodeEncodeError("ascii", "\0shop\0contraseña", 13, 14, "ordinal not in range")

    error = classify(leaky)
    assert isinstance(error, PermanentSendError)
    assert "contraseña" not in str(error)
