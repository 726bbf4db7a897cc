"""Rendering: locale fallback, money and dates per locale, strictness, escaping, the check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notifier.decide import choices
from notifier.decide.facts import snapshot
from notifier.decide.policy import Policy
from notifier.errors import TemplateError
from notifier.messages.check import check_templates
from notifier.messages.rendering import Renderer, locale_chain
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.conftest import TEMPLATES


def view(
    locale: str, timezone: str = "America/Mexico_City", kind: Kind = Kind.ORDER_SHIPPED
) -> dict[str, Any]:
    return template_view(sample_facts()["full"], kind, locale, timezone)


def write(root: Path, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def test_locale_chain_falls_back_to_language_then_default() -> None:
    assert locale_chain("es-MX", "es-MX") == ["es-MX", "es"]
    assert locale_chain("pt-BR", "es-MX") == ["pt-BR", "pt", "es-MX", "es"]
    assert locale_chain("fr-FR", "es-MX") == ["fr-FR", "fr", "es-MX", "es"]


def test_es_mx_customer_gets_spanish_templates() -> None:
    rendered = Renderer(TEMPLATES, "es-MX").render("order_shipped", "sms", view("es-MX"))
    assert rendered.locale == "es"
    assert "MX-5001" in rendered.text


def test_unknown_locale_falls_back_to_the_default_locale() -> None:
    rendered = Renderer(TEMPLATES, "es-MX").render("order_shipped", "sms", view("fr-FR"))
    assert rendered.locale == "es"


@pytest.mark.parametrize(
    ("locale", "money"),
    [("es-MX", "$1,299.00"), ("en-US", "MX$1,299.00"), ("pt-BR", "MX$ 1.299,00")],
)
def test_money_is_formatted_for_the_customer_locale(locale: str, money: str) -> None:
    rendered = Renderer(TEMPLATES, "es-MX").render(
        "order_confirmed", "email", view(locale, kind=Kind.ORDER_CONFIRMED)
    )
    assert money in rendered.text


@pytest.mark.parametrize(
    ("locale", "source", "expected"),
    [
        ("pt-BR", "{{ order.total | money('BRL') }}", "R$ 1.299,00"),
        ("es-ES", "{{ order.total | money('EUR') }}", "1.299,00 €"),
        ("fr-FR", "{{ order.total | money }}", "1 299,00"),  # babel groups with U+202F here
    ],
)
def test_money_has_plain_spaces_so_an_sms_stays_gsm7(
    tmp_path: Path, locale: str, source: str, expected: str
) -> None:
    write(tmp_path, f"{locale}/order_confirmed/sms.txt", source)
    rendered = Renderer(tmp_path, locale).render(
        "order_confirmed", "sms", view(locale, kind=Kind.ORDER_CONFIRMED)
    )
    assert rendered.text == expected
    assert count_segments(rendered.text).encoding == "GSM-7"


def test_dates_are_shown_in_the_customer_time_zone(tmp_path: Path) -> None:
    write(tmp_path, "en/order_shipped/sms.txt", "{{ shipment.eta | datetime }}")
    renderer = Renderer(tmp_path, "en")
    tokyo = renderer.render("order_shipped", "sms", view("en-US", "Asia/Tokyo")).text
    mexico = renderer.render("order_shipped", "sms", view("en-US", "America/Mexico_City")).text
    assert "Nov 15, 2026" in tokyo  # 18:00 in Mexico City is the next morning in Tokyo
    assert "Nov 14, 2026" in mexico and "6:00:00\u202fPM" in mexico


def test_missing_variable_is_an_error_not_an_empty_hole(tmp_path: Path) -> None:
    write(tmp_path, "es/order_shipped/sms.txt", "Hola {{ customer.nickname }}")
    with pytest.raises(TemplateError, match="nickname"):
        Renderer(tmp_path, "es-MX").render("order_shipped", "sms", view("es-MX"))


def test_sandbox_refuses_unsafe_attribute_access(tmp_path: Path) -> None:
    write(tmp_path, "es/order_shipped/sms.txt", "{{ order.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match=r"SecurityError|unsafe"):
        Renderer(tmp_path, "es-MX").render("order_shipped", "sms", view("es-MX"))


def test_email_html_escapes_customer_data() -> None:
    facts = snapshot({"id": "c", "name": "<script>alert(1)</script>"}, {"id": "o"}, {})
    rendered = Renderer(TEMPLATES, "es-MX").render(
        "order_confirmed", "email", template_view(facts, Kind.ORDER_CONFIRMED, "es-MX", "UTC")
    )
    assert rendered.html is not None
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_missing_template_names_kind_and_locale(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"order_shipped/sms\.txt for locale es-MX"):
        Renderer(tmp_path, "es-MX").render("order_shipped", "sms", view("es-MX"))


def test_every_shipped_template_renders_within_the_sms_budget() -> None:
    lines = list(check_templates(Renderer(TEMPLATES, "es-MX"), Policy(sms_max_segments=3)))
    failures = [str(line) for line in lines if line.error]
    assert failures == []
    combos = {(line.locale, line.kind, line.channel) for line in lines if line.channel != "label"}
    assert len(combos) == 3 * 19 * 3  # locale x kind x channel: every kind of CONTRACT §4 and §6
    labels = {(line.locale, line.sample) for line in lines if line.channel == "label"}
    assert len(labels) == 3 * (len(choices.WORDS) + len(choices.CSAT))  # every choice's label


def test_check_reports_a_broken_template_and_an_sms_over_budget(tmp_path: Path) -> None:
    for kind in ("order_confirmed",):
        write(tmp_path, f"es/{kind}/sms.txt", "á" * 300)
        write(tmp_path, f"es/{kind}/whatsapp.txt", "{{ order.number ")
        for name in ("email.subject.txt", "email.txt", "email.html"):
            write(tmp_path, f"es/{kind}/{name}", "{{ order.number }}")
    errors = [
        line
        for line in check_templates(Renderer(tmp_path, "es"), Policy(sms_max_segments=3))
        if line.error
    ]
    by_channel = {(line.kind, line.channel): line.error or "" for line in errors}
    assert "over the budget" in by_channel[("order_confirmed", "sms")]
    assert "TemplateSyntaxError" in by_channel[("order_confirmed", "whatsapp")]
    assert "missing" in by_channel[("order_shipped", "email")]


def test_the_example_policy_file_loads() -> None:
    from notifier.decide.policy import load_policy
    from tests.conftest import ROOT

    policy = load_policy(ROOT / "notifier.example.toml")
    assert policy.channels_for("order_delivered") == ["whatsapp", "email", "sms"]
    assert policy.sms_transliterate == "lookalikes"
    assert policy.whatsapp_templates[Kind.ORDER_SHIPPED].content_sid["pt-BR"].startswith("HX")


def test_a_wrong_policy_key_fails_naming_it(tmp_path: Path) -> None:
    from notifier.decide.policy import PolicyError, load_policy

    path = tmp_path / "notifier.toml"
    path.write_text("[retry]\nmax_atempts = 3\n")
    with pytest.raises(PolicyError, match=r"retry\.max_atempts"):
        load_policy(path)


def test_a_whatsapp_template_variable_is_plain_text_not_html() -> None:
    """A variable carries a URL's `&` and a shop's "Pérez & Hijos" as they are: WhatsApp shows
    text, so `&amp;` would reach the customer (string templates were autoescaped)."""
    renderer = Renderer(TEMPLATES, "es")
    shown = {"locale": "es", "url": "https://t.example/track?id=1&lang=es", "name": "Pérez & Hijos"}
    assert renderer.render_expression("{{ url }}", shown) == "https://t.example/track?id=1&lang=es"
    assert renderer.render_expression("{{ name }} <3", shown) == "Pérez & Hijos <3"
    assert renderer.render_source("{{ name }}", shown) == "Pérez & Hijos"
    assert renderer.render_source("{{ name }}", shown, html=True) == "Pérez &amp; Hijos"
