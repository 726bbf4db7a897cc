"""The shop signs its messages (CONTRACT §6): `NOTIFIER_SHOP_NAME` opens every SMS, the email
comes from the shop (a sender per locale) and its replies reach a person when there is one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import notifier
from adapters.channels.senders import Senders
from notifier.cli import templates as templates_cli
from notifier.messages.rendering import Rendered, ShopVoice, renderer_for
from notifier.messages.samples import sample_facts
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import example, settings_for
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio import FakeTwilio
from tests.providers import provider_settings

SHOP = "Casa Lupita"
CUSTOMER_PHONE = "+525512345678"


@pytest.fixture
def shop_runtime(
    sqlite_url: str, fake_twilio: FakeTwilio, fake_smtp: FakeSmtp, policy_file: Path
) -> Iterator[Runtime]:
    settings = provider_settings(
        sqlite_url, fake_twilio, fake_smtp, policy_file,
        shop_name=SHOP,
        email_from="avisos@casalupita.mx",
        email_from_by_locale={"pt-BR": "Casa Lupita Brasil <avisos@casalupita.com.br>"},
        support_email="ayuda@casalupita.mx",
    )  # fmt: skip
    runtime = build_runtime(settings, console=io.StringIO())
    yield runtime
    runtime.close()


def placed(channels: list[str], locale: str = "es-MX") -> dict[str, Any]:
    event = example("order_placed")
    event["customer"] |= {"channels": channels, "locale": locale}
    return event


def test_every_sms_starts_with_the_shops_name(
    shop_runtime: Runtime, fake_twilio: FakeTwilio
) -> None:
    notifier.publish(placed(["sms"]), runtime=shop_runtime)
    [sms] = fake_twilio.accepted_to(CUSTOMER_PHONE)
    assert sms.body is not None and sms.body.startswith(f"{SHOP}: "), sms.body


def test_an_email_comes_from_the_shop_in_the_customers_locale_and_replies_reach_support(
    shop_runtime: Runtime, fake_smtp: FakeSmtp
) -> None:
    notifier.publish(placed(["email"]), runtime=shop_runtime)
    event = placed(["email"], locale="pt-BR") | {"event_id": "evt-br"}
    event["order"] = event["order"] | {"id": "ord-br-1"}
    event["customer"] = event["customer"] | {"id": "cus-br", "email": "joao@example.com"}
    notifier.publish(event, runtime=shop_runtime)
    mails = {str(m.message["To"]): m.message for m in fake_smtp.messages}
    assert mails["ana@example.com"]["From"] == f"{SHOP} <avisos@casalupita.mx>"
    assert mails["joao@example.com"]["From"] == "Casa Lupita Brasil <avisos@casalupita.com.br>"
    assert {str(m["Reply-To"]) for m in mails.values()} == {"ayuda@casalupita.mx"}


def test_an_sms_the_ops_already_signed_is_not_signed_twice_and_unnamed_shops_sign_nothing() -> None:
    assert ShopVoice(SHOP).signed_sms(f"{SHOP}: tu pedido") == f"{SHOP}: tu pedido"
    assert ShopVoice(SHOP).signed_sms("Tu pedido") == f"{SHOP}: Tu pedido"
    assert ShopVoice(None).signed_sms("Tu pedido") == "Tu pedido"


def test_a_sender_per_language_and_a_bad_address_named() -> None:
    senders = Senders("avisos@shop.example", {"pt": "Loja <loja@shop.example>"}, "Shop")
    assert senders.sender_for("pt-BR") == "Loja <loja@shop.example>"
    assert senders.sender_for("es-MX") == "Shop <avisos@shop.example>"
    with pytest.raises(ValueError, match="email sender for en"):
        Senders("avisos@shop.example", {"en": "nobody"})


def test_templates_check_warns_while_the_shop_has_no_name(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert templates_cli.check(settings_for(sqlite_url)) == 0
    unnamed = capsys.readouterr().out
    assert "warning: NOTIFIER_SHOP_NAME is not set" in unnamed
    templates_cli.check(settings_for(sqlite_url, shop_name=SHOP))
    assert "NOTIFIER_SHOP_NAME" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("locale", "signoff"),
    [("es", "El equipo de Casa Lupita"), ("pt-BR", "Equipe Casa Lupita"),
     ("en", "The Casa Lupita team")],
)  # fmt: skip
def test_an_email_names_the_shop_in_its_subject_and_sign_off(
    sqlite_url: str, locale: str, signoff: str
) -> None:
    email = render_email(sqlite_url, Kind.ORDER_CONFIRMED, locale)
    assert email.subject is not None and email.subject.endswith(f"| {SHOP}")
    assert email.text.endswith(signoff)
    assert email.html is not None and signoff in email.html


def test_marketing_email_has_the_marketing_footer(sqlite_url: str) -> None:
    marketing = render_email(sqlite_url, Kind.CART_REMINDER_1, "es")
    transactional = render_email(sqlite_url, Kind.ORDER_SHIPPED, "es")
    assert marketing.html is not None and transactional.html is not None
    assert f"aceptaste recibir novedades y promociones de {SHOP}" in marketing.html
    assert f"hiciste un pedido en {SHOP}" in transactional.html
    assert "hiciste un pedido" not in marketing.html


def render_email(sqlite_url: str, kind: Kind, locale: str) -> Rendered:
    renderer = renderer_for(settings_for(sqlite_url, shop_name=SHOP))
    facts = sample_facts(kind)["full"]
    return renderer.render(kind, "email", template_view(facts, kind, locale, "America/Mexico_City"))
