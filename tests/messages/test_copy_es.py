"""Messages a shop would sign, in Spanish (passes 1 and 2): every rule rendered through the real
es templates, as an es-MX customer reads them, for the shop "Casa Lupita"."""

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
# The samples with every fact: one per kind of voucher, and each kind's named variants.
COMPLETE = ("full", "oxxo", "boleto", "spei", "customer_request", "payment_expired",
            "alternative", "only_item")  # fmt: skip
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
            assert count.segments <= budget, (kind, name, count, text)


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
        how = "responde CANCELAR" if channel == "sms" else how_to_cancel  # SMS: by reply only
        assert "$1,299.00" in text and how in text, (channel, text)
        assert channel != "sms" or "http" not in text, text
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
        how = "CANCELAR" if channel == "sms" else CANCEL_URL if linked else ORDER_PAGE
        if channel == "whatsapp" and not linked:
            how = "CANCELAR"
        assert how in text, (channel, text)
        if channel == "sms":
            assert "sin costo o, si prefieres, te devolvemos $1,299.00" in text, text


def spei(chosen: dict[str, Any]) -> None:
    chosen["payment"] |= {"method": "spei", "code": CLABE}


VOUCHERS: list[tuple[str, Change | None]] = [
    ("full", None), ("oxxo", None), ("boleto", None), ("oxxo", spei), ("spei", None)
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
    def elsewhere(chosen: dict[str, Any]) -> None:
        chosen["cancellation"]["order_again_url"] = "https://shop.example.com/again"

    for channel in ("sms", "whatsapp", "email"):
        for change, url in ((None, ORDER_PAGE), (elsewhere, "https://shop.example.com/again")):
            chosen = facts(Kind.ORDER_CANCELED, "payment_expired", change)
            text = read_all(render(renderer, Kind.ORDER_CANCELED, channel, chosen))
            assert "reembols" not in text and "devolvemos" not in text, (channel, text)
            assert "vuelve a pedir" in text.lower() and url in text, (channel, text)


def only_the_missing_item(chosen: dict[str, Any]) -> None:
    chosen["order"]["items"] = chosen["order"]["items"][:1]


def without_order_page(chosen: dict[str, Any]) -> None:
    chosen["order"]["status_url"] = None
    chosen["out_of_stock"]["alternatives_url"] = None


def test_an_out_of_stock_sms_links_the_alternatives_and_says_what_happens_to_the_rest(
    renderer: Renderer,
) -> None:
    kind = Kind.OUT_OF_STOCK
    sms = render(renderer, kind, "sms", facts(kind)).text
    assert sms.endswith(ORDER_PAGE) and ", el resto sale." in sms, sms
    unlinked = render(renderer, kind, "sms", facts(kind, change=without_order_page)).text
    assert unlinked.endswith("https://shop.example.com/p/SKU-2"), unlinked
    alone = render(renderer, kind, "sms", facts(kind, "only_item")).text
    assert "resto" not in alone, alone
    legacy = facts(kind, change=only_the_missing_item)
    del legacy["out_of_stock"]  # stored before the facts: the items say whether the rest ships
    assert "resto" not in render(renderer, kind, "sms", legacy).text
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


# Pass 2: the facts the policy now gives (coupon terms, cancellation, out of stock, SPEI).

COUPON_EXPIRY = "domingo 13 de diciembre a las 12:00 p.m."
SHORT_DEADLINE = "jueves 12 nov a las 4:00 p.m."  # an out-of-stock SMS short of room


def test_a_delay_coupon_states_its_expiry_and_minimum_purchase(renderer: Renderer) -> None:
    chosen = facts(Kind.DELAY_NOTICE)
    for channel in ("whatsapp", "email"):
        rendered = render(renderer, Kind.DELAY_NOTICE, channel, chosen)
        for text in filter(None, (rendered.text, rendered.html)):
            assert COUPON_EXPIRY in text, (channel, text)
            assert "en compras de $500.00 o más" in text, (channel, text)
    unset = facts(Kind.DELAY_NOTICE, change=lambda c: c["offer"].update(min_purchase=None))
    email = render(renderer, Kind.DELAY_NOTICE, "email", unset).text
    assert f"Es válido hasta el {COUPON_EXPIRY}" in email and "o más" not in email, email


def test_a_delay_sms_is_one_segment_with_both_choices_and_the_amount(renderer: Renderer) -> None:
    for change in (None, no_cancel_link, no_offer):
        chosen = facts(Kind.DELAY_NOTICE, change=change)
        text = render(renderer, Kind.DELAY_NOTICE, "sms", chosen).text
        count = count_segments(text)
        assert (count.encoding, count.segments) == ("GSM-7", 1), (count, text)
        assert text.startswith(f"{SHOP}: Pedido MX-5001 llega tarde"), text
        assert "lunes 16 nov" in text, text  # the new date, with its weekday
        assert "responde CANCELAR" in text and CANCEL_URL not in text, text
        assert "te devolvemos $1,299.00 al momento" in text, text
        if change is not no_offer:
            assert "PERDON-7K2Q9XH4PD: 20% de descuento" in text, text
            assert text.index("PERDON") < text.index("CANCELAR"), text  # wait, then cancel


def test_a_delay_sms_adds_the_coupon_expiry_before_the_reason_where_it_fits(
    renderer: Renderer, sqlite_url: str
) -> None:
    def roomy(chosen: dict[str, Any]) -> None:  # a short code and no new date leave room
        chosen["offer"] |= {"coupon_code": "PERDON", "free_shipping": False}
        chosen["delay"]["new_eta"] = None

    text = render(renderer, Kind.DELAY_NOTICE, "sms", facts(Kind.DELAY_NOTICE, change=roomy)).text
    assert count_segments(text).segments == 1, text
    assert "PERDON: 20% de descuento, vence el domingo 13 dic." in text, text
    assert "responde CANCELAR" in text and "$1,299.00" in text, text
    assert "mal clima" not in text, text  # the reason comes after the expiry, and no room is left

    unnamed = renderer_for(settings_for(sqlite_url))  # no "Casa Lupita: " in front: room for both
    text = render(unnamed, Kind.DELAY_NOTICE, "sms", facts(Kind.DELAY_NOTICE, change=roomy)).text
    assert count_segments(text).segments == 1, text
    assert "llega tarde por mal clima." in text and "vence el domingo 13 dic" in text, text


def test_an_order_canceled_after_a_delay_refunds_in_full_at_once_with_the_amount(
    renderer: Renderer, replying: Renderer
) -> None:
    for channel in ("sms", "whatsapp", "email"):
        for shop in (renderer, replying):
            text = read_all(render(shop, Kind.ORDER_CANCELED, channel, facts(Kind.ORDER_CANCELED)))
            assert "$1,299.00" in text, (channel, text)
            assert re.search(r"al momento|de inmediato", text), (channel, text)
            assert re.search(r"el total|reembolso completo", text), (channel, text)
            assert "por separado" not in text and "cargo" not in text, (channel, text)
    sms = render(renderer, Kind.ORDER_CANCELED, "sms", facts(Kind.ORDER_CANCELED)).text
    assert count_segments(sms).segments == 1, sms


def test_an_order_canceled_on_request_states_its_refund_amount(renderer: Renderer) -> None:
    chosen = facts(Kind.ORDER_CANCELED, "customer_request")
    for channel in ("sms", "whatsapp", "email"):
        text = read_all(render(renderer, Kind.ORDER_CANCELED, channel, chosen))
        assert "reembolsaremos $1,299.00" in text or "reembolsaremos *$1,299.00*" in text, text
        assert "por separado" not in text, (channel, text)


def test_out_of_stock_states_the_refund_the_no_answer_default_and_the_alternatives_link(
    renderer: Renderer,
) -> None:
    kind = Kind.OUT_OF_STOCK
    deadline = "jueves 12 de noviembre a las 4:00 p.m."
    defaults = {
        "full": "te reembolsamos $1,299.00",
        "alternative": "te enviamos Chamarra de mezclilla oscura",
        "only_item": "cancelamos tu pedido y te devolvemos $1,299.00",
    }
    for sample, default in defaults.items():
        for channel in ("whatsapp", "email"):
            text = render(renderer, kind, channel, facts(kind, sample)).text
            assert "Chamarra de mezclilla" in text and "$1,299.00" in text, (channel, text)
            assert "Si no eliges antes del" in text and default in text, (channel, text)
            assert deadline in text.replace("*", ""), (channel, text)
            assert ORDER_PAGE in text, (channel, text)


@pytest.mark.parametrize(
    ("sample", "says"),
    [("full", "MX-5001: no hay Chamarra de mezclilla, el resto sale.\n"
              "Elige otra o te devolvemos $1,299 el 12 nov 4 p.m.:"),
     ("alternative", "el resto sale.\nEnviamos otra el 12 nov 4 p.m. o reembolso de $1,299:"),
     ("only_item", "MX-5001: no hay Chamarra de mezclilla.\n"
                   "Elige otra o cancelamos y te devolvemos $1,299 el 12 nov 4 p.m.:")],
)  # fmt: skip
def test_an_out_of_stock_sms_says_it_all_in_one_segment(
    renderer: Renderer, sample: str, says: str
) -> None:
    kind = Kind.OUT_OF_STOCK
    sms = render(renderer, kind, "sms", facts(kind, sample)).text
    assert says in sms and sms.endswith(f":\n{ORDER_PAGE}"), sms
    count = count_segments(sms)
    assert (count.encoding, count.segments) == ("GSM-7", 1), (count, sms)
    moved = facts(kind, change=lambda c: c["out_of_stock"].update(alternatives_url=CANCEL_URL))
    assert render(renderer, kind, "sms", moved).text.endswith(CANCEL_URL)


@pytest.mark.parametrize(
    ("kind", "expiry", "minimum"),
    [(Kind.CART_REMINDER_2, "viernes 13 de noviembre a las 10:00 a.m.", None),
     (Kind.WINBACK, "jueves 10 de diciembre a las 10:00 a.m.", "$800.00")],
)  # fmt: skip
def test_a_marketing_incentive_states_its_expiry_and_minimum_purchase(
    renderer: Renderer, kind: Kind, expiry: str, minimum: str | None
) -> None:
    for channel in ("whatsapp", "email"):
        rendered = render(renderer, kind, channel, facts(kind))
        for text in filter(None, (rendered.text, rendered.html)):
            assert expiry in text.replace("*", ""), (channel, text)
            assert minimum is None or f"en compras de {minimum} o más" in text, (channel, text)
    sms = render(renderer, kind, "sms", facts(kind)).text
    assert f"vence el {expiry.split(' de ')[0]} {expiry.split(' de ')[1][:3]}" in sms, sms
    assert minimum is None or f"en compras desde {minimum}" in sms, sms
    assert count_segments(sms).segments <= 2 and sms.endswith(OPT_OUT), sms


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
def test_a_spei_voucher_gives_the_clabe_a_line_and_names_the_bank_and_beneficiary(
    renderer: Renderer, kind: Kind
) -> None:
    holder = "Banco: STP, a nombre de Casa Lupita SA de CV"
    for channel in ("sms", "whatsapp", "email"):
        rendered = render(renderer, kind, channel, facts(kind, "spei"))
        assert CLABE in lines(rendered.text), (channel, rendered.text)
        if channel != "sms":
            assert f"{holder}." in lines(rendered.text), (channel, rendered.text)
            assert holder in (rendered.html or holder), rendered.html
    sms = render(renderer, kind, "sms", facts(kind, "spei")).text
    assert count_segments(sms).segments == 1, sms
    if kind == Kind.PAYMENT_PENDING:  # room for the bank and beneficiary on its own line
        assert holder in lines(sms), sms

    def with_reference(chosen: dict[str, Any]) -> None:
        chosen["payment"]["code"] = "7001234"
        chosen["payment"]["spei"] |= {"clabe": "012180001234567891", "reference": "7001234"}

    for channel in ("sms", "whatsapp", "email"):
        rendered = render(renderer, kind, channel, facts(kind, "spei", with_reference))
        assert "012180001234567891" in lines(rendered.text), (channel, rendered.text)
        assert "7001234" in lines(rendered.text), (channel, rendered.text)
    html = render(renderer, kind, "email", facts(kind, "spei", with_reference)).html or ""
    for code in ("012180001234567891", "7001234"):
        assert re.search(rf"<p[^>]*><strong>{code}</strong></p>", html), html
