"""Brazilian Portuguese copy, pass 1 of "Messages a shop would sign": one test per rule, each
through the real templates, for the complete sample (changed where a case needs it), signed by
the shop "Casa Lupita"."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from notifier.messages.rendering import Rendered, Renderer, renderer_for
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.views import template_view
from notifier.vocabulary import MARKETING_KINDS, Kind
from tests.conftest import TEMPLATES, settings_for

SHOP = "Casa Lupita"
PT_BR = TEMPLATES / "pt-BR"
KINDS = sorted(Kind(p.name) for p in PT_BR.iterdir() if p.is_dir() and p.name[0] != "_")
MARKETING = sorted(MARKETING_KINDS)
CHANNELS = ("sms", "whatsapp", "email")
TOTAL = "1.299,00"  # the complete sample's order total, as pt-BR writes it
CANCEL_URL = sample_facts(Kind.DELAY_NOTICE)["full"]["offer"]["cancel_url"]
STATUS_URL = sample_facts(Kind.ORDER_SHIPPED)["full"]["order"]["status_url"]
SAMPLES = ("full", "bare", "oxxo", "boleto")  # the samples every locale's templates are checked on
EXCEPTIONS = ("weather", "address_issue", "failed_attempt", "customs", "lost", "damaged",
              "carrier_delay", "high_volume", "other")  # fmt: skip


def facts(kind: Kind, sample: str = "full", **parts: Any) -> dict[str, Any]:
    """A sample's facts with some parts changed: a dict updates that part, anything else
    replaces it."""
    base = copy.deepcopy(sample_facts(kind)[sample])
    for key, value in parts.items():
        merge = isinstance(value, dict) and isinstance(base.get(key), dict)
        base[key] = base[key] | value if merge else value
    return base


def render(renderer: Renderer, kind: Kind, channel: str, kind_facts: dict[str, Any]) -> Rendered:
    view = template_view(kind_facts, kind, "pt-BR", "America/Mexico_City")
    return renderer.render(kind, channel, view)


def texts(rendered: Rendered) -> list[str]:
    """What the customer reads: the text, and an email's subject and HTML."""
    return [part for part in (rendered.text, rendered.subject, rendered.html) if part]


def all_of(renderer: Renderer, kind: Kind, kind_facts: dict[str, Any]) -> dict[str, str]:
    """Every channel's words, one string each."""
    return {
        channel: "\n".join(texts(render(renderer, kind, channel, kind_facts)))
        for channel in CHANNELS
    }


def delay_variants() -> list[dict[str, Any]]:
    """Every reason a delay notice can give, with the top tier's offer."""
    full = sample_facts(Kind.DELAY_NOTICE)["full"]["delay"]
    reasons = [
        {"reason": reason, "exception_reason": None}
        for reason in ("eta_later", "stalled", "not_shipped")
    ]
    exceptions = [{"reason": "exception", "exception_reason": why} for why in EXCEPTIONS]
    return [facts(Kind.DELAY_NOTICE, delay=full | changes) for changes in reasons + exceptions]


def test_every_sms_fits_two_segments_after_the_shops_name_and_stays_gsm7(
    renderer: Renderer,
) -> None:
    cases = [
        (kind, sample_facts(kind)[name])
        for kind in KINDS
        for name in SAMPLES
        if name in sample_facts(kind)
    ]
    cases += [(Kind.DELAY_NOTICE, variant) for variant in delay_variants()]
    for kind, kind_facts in cases:
        sms = render(renderer, kind, "sms", kind_facts).text
        count = count_segments(sms)
        assert sms.startswith(f"{SHOP}: ") and not sms.startswith(f"{SHOP}: {SHOP}"), sms
        assert count.segments <= 2 and count.encoding == "GSM-7", (kind, count, sms)
    for kind in KINDS:
        source = (PT_BR / kind / "sms.txt").read_text(encoding="utf-8")
        assert source.startswith("{# SMS: só GSM-7. Evite á í ó ú â ê ô ã õ ç"), kind


def test_whatsapp_texts_name_the_shop_and_read_well_without_a_name(sqlite_url: str) -> None:
    unnamed = renderer_for(settings_for(sqlite_url))
    named = renderer_for(settings_for(sqlite_url, shop_name=SHOP))
    for kind in KINDS:
        first = render(named, kind, "whatsapp", facts(kind)).text.splitlines()[0]
        assert first.startswith(f"Olá, Ana! Aqui é a equipe {SHOP}."), (kind, first)
        text = render(unnamed, kind, "whatsapp", facts(kind)).text
        assert text.splitlines()[0].startswith("Olá, Ana!"), (kind, text)
        assert "None" not in text and "equipe ." not in text and "Aqui é" not in text, kind


REPLY = re.compile(r"respond\w*\s+(?:a\s+)?este\s+e-mail", re.IGNORECASE)


def test_no_email_says_just_reply_unless_a_reply_reaches_a_person(
    renderer: Renderer, replying: Renderer
) -> None:
    cases = [(kind, facts(kind, name)) for kind in KINDS for name in ("full", "bare")]
    cases += [(Kind.DELAY_NOTICE, variant) for variant in delay_variants()]
    cases += [(Kind.DELAY_NOTICE, facts(Kind.DELAY_NOTICE, offer={"cancel_url": None}))]
    for kind, kind_facts in cases:
        for words in texts(render(renderer, kind, "email", kind_facts)):
            assert not REPLY.search(words), (kind, REPLY.search(words))
    confirmed = render(replying, Kind.ORDER_CONFIRMED, "email", facts(Kind.ORDER_CONFIRMED))
    assert "é só responder a este e-mail" in confirmed.text
    unanswered = render(renderer, Kind.REFUND_ISSUED, "email", facts(Kind.REFUND_ISSUED))
    assert "fale com a gente pela página do seu pedido" in unanswered.text  # the page instead


def test_marketing_sms_and_whatsapp_say_how_to_stop(renderer: Renderer) -> None:
    for kind in MARKETING:
        for name in ("full", "bare"):
            whatsapp = render(renderer, kind, "whatsapp", facts(kind, name)).text
            sms = render(renderer, kind, "sms", facts(kind, name)).text
            assert whatsapp.endswith("\n\nResponda SAIR para não receber mais mensagens."), kind
            assert sms.endswith(" Para parar de receber SMS, responda SAIR."), (kind, sms)
    transactional = render(renderer, Kind.ORDER_SHIPPED, "sms", facts(Kind.ORDER_SHIPPED)).text
    assert "SAIR" not in transactional


@pytest.mark.parametrize(
    ("offer", "how"),
    [
        ({}, CANCEL_URL),  # the top tier: 20 %, free shipping, a cancel link
        ({"cancel_url": None, "percent_off": 10, "free_shipping": False}, "CANCELAR"),
        (None, "CANCELAR"),  # no compensation at all
    ],
)
@pytest.mark.parametrize("reason", ["weather", "eta_later", "stalled"])
def test_a_delay_offers_to_wait_or_to_cancel_with_an_immediate_full_refund(
    replying: Renderer, offer: dict[str, Any] | None, how: str, reason: str
) -> None:
    delay = (
        {"reason": "exception", "exception_reason": reason}
        if reason == "weather"
        else {"reason": reason, "exception_reason": None, "days_late": 1}
    )
    kind_facts = facts(Kind.DELAY_NOTICE, delay=delay, offer=offer)
    for channel, words in all_of(replying, Kind.DELAY_NOTICE, kind_facts).items():
        assert "esperar" in words.lower(), (channel, words)
        on_sms = "CANCELAR" if channel == "sms" else how  # an SMS never carries the link
        assert TOTAL in words and on_sms in words, (channel, words)
        assert channel != "sms" or CANCEL_URL not in words, words
        assert "na hora" in words if channel == "sms" else "reembolso total e imediato" in words
        if offer is not None:
            coupon = kind_facts["offer"]["coupon_code"]
            assert coupon in words and f"{kind_facts['offer']['percent_off']}%" in words
    top = all_of(replying, Kind.DELAY_NOTICE, facts(Kind.DELAY_NOTICE))
    assert "frete por nossa conta" in top["sms"]
    assert "frete grátis" in top["whatsapp"] and "frete grátis" in top["email"]


@pytest.mark.parametrize("why", ["lost", "damaged"])
@pytest.mark.parametrize("cancel_url", [CANCEL_URL, None])
def test_a_lost_or_damaged_package_is_replaced_or_refunded_not_late(
    replying: Renderer, why: str, cancel_url: str | None
) -> None:
    kind_facts = facts(
        Kind.DELAY_NOTICE, delay={"exception_reason": why}, offer={"cancel_url": cancel_url}
    )
    for channel, words in all_of(replying, Kind.DELAY_NOTICE, kind_facts).items():
        lower = words.lower()
        for late in ("nova data", "previsão", "atras", "data prometida", "depois do previsto"):
            assert late not in lower, (channel, late, words)
        assert "sem custo" in lower and "reembolso" in lower and TOTAL in words, channel
        assert "você escolhe" in lower or "a escolha é sua" in lower, (channel, words)
        assert ("CANCELAR" if channel == "sms" else cancel_url or "CANCELAR") in words, channel


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
@pytest.mark.parametrize("voucher", ["full", "oxxo", "boleto"])
def test_a_payment_states_the_amount_and_gives_its_code_a_line_of_its_own(
    renderer: Renderer, kind: Kind, voucher: str
) -> None:
    kind_facts = facts(kind, voucher)
    code = kind_facts["payment"]["code"]
    for channel in CHANNELS:
        rendered = render(renderer, kind, channel, kind_facts)
        words = "\n".join(texts(rendered))
        assert TOTAL in rendered.text, (channel, rendered.text)
        assert code in rendered.text.splitlines(), (channel, rendered.text)  # the whole line
        assert rendered.html is None or f">{code}</p>" in rendered.html
        assert "comprovante" not in words.lower(), channel
        if voucher == "oxxo":
            assert "comissão" in words or "cobra uma taxa" in words, (channel, words)
        if voucher == "boleto":
            assert "boleto" in words and "3 dias" in words, (channel, words)
        if voucher == "full":
            assert "Pix Copia e Cola" in words, (channel, words)


@pytest.mark.parametrize("status_url", [STATUS_URL, None])
def test_an_order_canceled_unpaid_can_be_placed_again_and_promises_no_refund(
    renderer: Renderer, status_url: str | None
) -> None:
    unpaid = facts(
        Kind.ORDER_CANCELED,
        "payment_expired",
        order={"status_url": status_url},
        cancellation={"order_again_url": status_url},
    )
    for channel, words in all_of(renderer, Kind.ORDER_CANCELED, unpaid).items():
        lower = words.lower()
        assert "estorn" not in lower and "reembols" not in lower, (channel, words)
        assert "de novo" in lower, (channel, words)
        assert (status_url or "nossa loja") in words, (channel, words)


def test_out_of_stock_sms_links_the_alternatives_and_says_the_rest_ships(
    renderer: Renderer,
) -> None:
    def sms(sample: str = "full", **parts: Any) -> str:
        kind_facts = facts(Kind.OUT_OF_STOCK, sample, **parts)
        return render(renderer, Kind.OUT_OF_STOCK, "sms", kind_facts).text

    alternative = sample_facts(Kind.OUT_OF_STOCK)["full"]["affected_items"][0]["alternatives"][0]
    rest = "O restante do pedido segue como previsto."
    assert rest in sms() and sms().count("https://") == 1 and STATUS_URL in sms()
    without_page = sms(order={"status_url": None}, out_of_stock={"alternatives_url": None})
    assert alternative["url"] in without_page and without_page.count("https://") == 1
    assert rest not in sms("only_item")  # nothing else in the order ships
    only_item = sample_facts(Kind.OUT_OF_STOCK)["full"]["order"]["items"][:1]
    stored_before: dict[str, Any] = {"order": {"items": only_item}, "out_of_stock": None}
    assert rest not in sms(**stored_before)
    for channel in ("whatsapp", "email"):
        words = render(renderer, Kind.OUT_OF_STOCK, channel, facts(Kind.OUT_OF_STOCK)).text
        assert "O restante do seu pedido segue como previsto." in words, channel


# Two periods ("nov.." but not "..."), or a period after a bold date or time, or after a time.
DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)|\.\*[.;]|\d:\d\d\*?[.;]|de \d{4}\*[.;]")


def test_the_small_text_bugs_are_gone(renderer: Renderer) -> None:
    everything = {
        (kind, name): all_of(renderer, kind, facts(kind, name))
        for kind in KINDS
        for name in SAMPLES
        if name in sample_facts(kind)
    }
    for (kind, name), channels in everything.items():
        for channel, words in channels.items():
            assert not DOUBLE_PERIOD.search(words), (kind, name, channel, words)
            assert "frete gratuito" not in words and "pelo mau tempo" not in words
        if name == "full":
            assert channels["whatsapp"].startswith("Olá, Ana!"), kind
            assert channels["email"].startswith("Olá, Ana!\n"), kind
            assert '<p style="margin:0 0 16px;">Olá, Ana!</p>' in channels["email"], kind
    weather = everything[(Kind.DELAY_NOTICE, "full")]
    assert all("por causa do mau tempo" in words for words in weather.values())
    winback = everything[(Kind.WINBACK, "full")]
    assert "novidades de que você vai gostar" in winback["whatsapp"]
    assert "novidades de que você vai gostar" in winback["email"]
    pix = everything[(Kind.PAYMENT_PENDING, "full")]
    assert "terça-feira, 10 de novembro, às 16:00" in pix["whatsapp"]
    assert "terça-feira, 10 de novembro, às 16:00" in pix["email"]
    assert "até 10/11 às 16:00" in pix["sms"] and "ter.," not in "".join(pix.values())
