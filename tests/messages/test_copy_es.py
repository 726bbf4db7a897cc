"""Messages a shop would sign, in Spanish (pass 1): every rule rendered through the real es
templates, as an es-MX customer reads them, for the shop "Casa Lupita"."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from notifier.messages.rendering import Rendered, Renderer, renderer_for
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.conftest import TEMPLATES, settings_for
from tests.messages.conftest import read_all

SHOP = "Casa Lupita"
ZONE = "America/Mexico_City"
KINDS = sorted(p.name for p in (TEMPLATES / "es").iterdir() if p.is_dir() and p.name[0] != "_")
MARKETING = [kind for kind in KINDS if Kind(kind).is_marketing]
COMPLETE = ("full", "oxxo", "boleto")  # the samples with every fact (one per kind of voucher)
ORDER_PAGE = "https://shop.example.com/orders/MX-5001"
CANCEL_URL = "https://shop.example.com/orders/MX-5001/cancel?coupon=PERDON-7K2Q9XH4PD"
CLABE = "646180157000000004"
OPT_OUT = "Responde BAJA para dejar de recibir mensajes."
ASKS_FOR_A_REPLY = re.compile(r"\brespond(e|es|iendo)\b", re.IGNORECASE)

Change = Callable[[dict[str, Any]], None]


def facts(kind: str, sample: str = "full", change: Change | None = None) -> dict[str, Any]:
    """A sample's facts, changed for the case."""
    chosen = copy.deepcopy(sample_facts(kind)[sample])
    if change is not None:
        change(chosen)
    return chosen


def render(renderer: Renderer, kind: str, channel: str, chosen: dict[str, Any]) -> Rendered:
    return renderer.render(kind, channel, template_view(chosen, kind, "es", ZONE))


def samples(kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The complete and the bare samples of a kind (not whatever else the samples grow)."""
    for name, chosen in sample_facts(kind).items():
        if name in (*COMPLETE, "bare"):
            yield name, chosen


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_every_sms_is_gsm7_in_one_segment_and_marketing_in_two(renderer: Renderer) -> None:
    for kind in KINDS:
        source = (TEMPLATES / "es" / kind / "sms.txt").read_text(encoding="utf-8")
        assert source.startswith("{# SMS: solo caracteres GSM-7. Evita á í ó ú"), kind
        budget = 2 if Kind(kind).is_marketing else 1
        for name, chosen in samples(kind):
            text = render(renderer, kind, "sms", chosen).text
            count = count_segments(text)
            assert count.encoding == "GSM-7", (kind, name, text)
            # A delay with both a coupon and its 71-character cancel link cannot say both
            # choices in 160 characters: two segments, the one exception.
            allowed = 2 if (kind, name) == (Kind.DELAY_NOTICE, "full") else budget
            assert count.segments <= allowed, (kind, name, count, text)


def test_every_whatsapp_text_names_the_shop_and_reads_well_without_a_name(
    renderer: Renderer, sqlite_url: str
) -> None:
    unnamed = renderer_for(settings_for(sqlite_url))
    for kind in KINDS:
        named = render(renderer, kind, "whatsapp", facts(kind)).text
        assert SHOP in named.splitlines()[0], (kind, named)
        plain = render(unnamed, kind, "whatsapp", facts(kind)).text
        assert plain.splitlines()[0] in ("Hola, Ana.", "Hola, Ana. Gracias por escribirnos. 🙋")
        assert "None" not in plain and " de ." not in plain and " a ." not in plain, (kind, plain)


def test_no_email_asks_for_a_reply_unless_the_reply_reaches_a_person(
    renderer: Renderer, replying: Renderer
) -> None:
    for kind in KINDS:
        for name, chosen in samples(kind):
            email = read_all(render(renderer, kind, "email", chosen))
            assert not ASKS_FOR_A_REPLY.search(email), (kind, name, email)
    answered = render(replying, Kind.ORDER_CONFIRMED, "email", facts(Kind.ORDER_CONFIRMED))
    assert "solo responde a este correo" in answered.text


def test_marketing_sms_and_whatsapp_say_how_to_stop_them(renderer: Renderer) -> None:
    for kind in MARKETING:
        for channel in ("sms", "whatsapp"):
            for name, chosen in samples(kind):
                text = render(renderer, kind, channel, chosen).text
                assert text.endswith(OPT_OUT), (kind, channel, name, text)


def no_cancel_link(chosen: dict[str, Any]) -> None:
    chosen["offer"]["cancel_url"] = None


def no_offer(chosen: dict[str, Any]) -> None:
    chosen["offer"] = None


@pytest.mark.parametrize(
    ("change", "how_to_cancel", "coupon"),
    [(None, CANCEL_URL, "PERDON-7K2Q9XH4PD"), (no_cancel_link, "CANCELAR", "PERDON-7K2Q9XH4PD"),
     (no_offer, "CANCELAR", None)],
)  # fmt: skip
def test_a_delay_offers_to_wait_or_an_immediate_full_refund_on_every_channel(
    renderer: Renderer, replying: Renderer, change: Change | None, how_to_cancel: str,
    coupon: str | None,
) -> None:  # fmt: skip
    chosen = facts(Kind.DELAY_NOTICE, change=change)
    for channel in ("sms", "whatsapp", "email"):
        text = render(replying, Kind.DELAY_NOTICE, channel, chosen).text
        assert "$1,299.00" in text and how_to_cancel in text, (channel, text)
        assert coupon is None or coupon in text, (channel, text)
        assert re.search(r"al momento|de inmediato", text), (channel, text)
    unread = render(renderer, Kind.DELAY_NOTICE, "email", chosen).text  # no one reads replies
    to_cancel = unread.split("Cancelarlo:")[-1]
    assert (CANCEL_URL if how_to_cancel == CANCEL_URL else ORDER_PAGE) in to_cancel, unread


@pytest.mark.parametrize("reason", ["lost", "damaged"])
@pytest.mark.parametrize("linked", [True, False])
def test_a_lost_or_damaged_package_is_sent_again_or_refunded_never_given_a_new_date(
    renderer: Renderer, reason: str, linked: bool
) -> None:
    def gone(chosen: dict[str, Any]) -> None:
        chosen["delay"]["exception_reason"] = reason
        if not linked:
            no_cancel_link(chosen)

    for channel in ("sms", "whatsapp", "email"):
        text = read_all(
            render(renderer, Kind.DELAY_NOTICE, channel, facts(Kind.DELAY_NOTICE, change=gone))
        )
        assert "fecha" not in text.lower() and "16 nov" not in text, (channel, text)
        assert "tarde" not in text, (channel, text)
        assert "sin costo" in text and "$1,299.00" in text, (channel, text)
        how = CANCEL_URL if linked else ORDER_PAGE if channel == "email" else "CANCELAR"
        assert how in text, (channel, text)


def spei(chosen: dict[str, Any]) -> None:
    chosen["payment"] |= {"method": "spei", "code": CLABE}


VOUCHERS: list[tuple[str, Change | None]] = [
    ("full", None), ("oxxo", None), ("boleto", None), ("oxxo", spei)
]  # fmt: skip


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
@pytest.mark.parametrize(("sample", "change"), VOUCHERS)
def test_a_voucher_states_the_amount_and_gives_its_code_a_line_of_its_own(
    renderer: Renderer, kind: Kind, sample: str, change: Change | None
) -> None:
    chosen = facts(kind, sample, change)
    payment = chosen["payment"]
    for channel in ("sms", "whatsapp", "email"):
        rendered = render(renderer, kind, channel, chosen)
        assert "$1,299.00" in rendered.text, (channel, rendered.text)
        if channel == "sms" and payment["method"] == "pix":  # the voucher link, where it copies
            assert payment["voucher_url"] in lines(rendered.text), rendered.text
        else:
            assert payment["code"] in lines(rendered.text), (channel, rendered.text)
        if payment["method"] == "oxxo":
            assert "OXXO cobra" in rendered.text, (channel, rendered.text)
        if payment["method"] == "boleto" and channel != "sms":
            assert "hasta 3 días hábiles" in rendered.text, (channel, rendered.text)
        if payment["method"] == "spei":
            assert "CLABE" in rendered.text, (channel, rendered.text)
    html = render(renderer, kind, "email", chosen).html or ""
    assert re.search(rf"<p[^>]*><strong>{re.escape(payment['code'])}</strong></p>", html)


def test_an_order_canceled_for_an_expired_payment_can_be_placed_again_never_refunded(
    renderer: Renderer,
) -> None:
    def expired(chosen: dict[str, Any]) -> None:
        chosen["order"]["cancel_reason"] = "payment_expired"

    for channel in ("sms", "whatsapp", "email"):
        chosen = facts(Kind.ORDER_CANCELED, change=expired)
        text = read_all(render(renderer, Kind.ORDER_CANCELED, channel, chosen))
        assert "reembols" not in text and ORDER_PAGE in text, (channel, text)
        assert "de nuevo" in text, (channel, text)


def only_the_missing_item(chosen: dict[str, Any]) -> None:
    chosen["order"]["items"] = chosen["order"]["items"][:1]


def without_order_page(chosen: dict[str, Any]) -> None:
    chosen["order"]["status_url"] = None


def test_an_out_of_stock_sms_links_the_alternatives_and_says_what_happens_to_the_rest(
    renderer: Renderer,
) -> None:
    kind = Kind.OUT_OF_STOCK
    sms = render(renderer, kind, "sms", facts(kind)).text
    assert sms.endswith(ORDER_PAGE) and "El resto sale a tiempo." in sms, sms
    unlinked = render(renderer, kind, "sms", facts(kind, change=without_order_page)).text
    assert unlinked.endswith("https://shop.example.com/p/SKU-2"), unlinked
    alone = render(renderer, kind, "sms", facts(kind, change=only_the_missing_item)).text
    assert "resto" not in alone, alone
    for channel in ("whatsapp", "email"):
        text = render(renderer, kind, channel, facts(kind)).text
        assert "El resto de tu pedido sale como estaba previsto." in text, (channel, text)


def test_free_shipping_greetings_periods_and_weekdays_read_right(renderer: Renderer) -> None:
    for channel in ("sms", "whatsapp", "email"):
        delay = render(renderer, Kind.DELAY_NOTICE, channel, facts(Kind.DELAY_NOTICE)).text
        assert "entrega gratis" not in delay, delay
        assert channel == "sms" or "envío gratis" in delay, delay
    for kind in KINDS:
        first = render(renderer, kind, "whatsapp", facts(kind)).text.splitlines()[0]
        assert first.startswith("Hola, Ana. "), first
        for channel in ("sms", "whatsapp", "email"):
            for name, chosen in samples(kind):
                text = render(renderer, kind, channel, chosen).text
                assert not re.search(r"(?<!\.)\.\*?\.(?!\.)", text), (kind, channel, name, text)
                shortened = re.search(r"\b(lun|mar|mié|jue|vie|sáb|dom),? \d", text)
                assert not shortened, (kind, channel, name, text)
    pix = render(renderer, Kind.PAYMENT_PENDING, "sms", facts(Kind.PAYMENT_PENDING)).text
    assert "antes del martes 10 de noviembre a las 4:00 p.m. Tu ficha:" in pix, pix
