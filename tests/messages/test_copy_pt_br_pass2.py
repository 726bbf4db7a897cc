"""Brazilian Portuguese copy, pass 2 of "Messages a shop would sign": the coupon's terms, the
cancellation and out-of-stock facts, the incentives' terms and SPEI, each rule through the real
templates with the sample facts (changed where a case needs it), signed by "Casa Lupita"."""

from __future__ import annotations

from typing import Any

import pytest

from notifier.messages.rendering import Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.vocabulary import Kind
from tests.messages.test_copy_pt_br import KINDS, SHOP, TOTAL, all_of, facts, render

CANCEL_URL = sample_facts(Kind.DELAY_NOTICE)["full"]["offer"]["cancel_url"]
COUPON = sample_facts(Kind.DELAY_NOTICE)["full"]["offer"]["coupon_code"]
CLABE = sample_facts(Kind.PAYMENT_PENDING)["spei"]["payment"]["spei"]["clabe"]


def sms(renderer: Renderer, kind: Kind, kind_facts: dict[str, Any]) -> str:
    return render(renderer, kind, "sms", kind_facts).text


def assert_fits(text: str) -> None:
    count = count_segments(text)
    assert count.segments <= 2 and count.encoding == "GSM-7", (count, text)


# --- delay_notice -------------------------------------------------------------------------


def test_a_delay_coupon_states_its_expiry_and_minimum_on_whatsapp_and_email(
    renderer: Renderer,
) -> None:
    words = all_of(renderer, Kind.DELAY_NOTICE, facts(Kind.DELAY_NOTICE))
    for channel in ("whatsapp", "email"):
        assert COUPON in words[channel], channel
        assert "domingo, 13 de dezembro" in words[channel], (channel, words[channel])
        assert "em compras a partir de MX$ 500,00" in words[channel], (channel, words[channel])
    bare = all_of(renderer, Kind.DELAY_NOTICE, facts(Kind.DELAY_NOTICE, "bare"))
    for channel in ("whatsapp", "email"):
        assert "13 de dezembro" in bare[channel] and "a partir de" not in bare[channel], channel
    endless = all_of(renderer, Kind.DELAY_NOTICE, facts(Kind.DELAY_NOTICE, offer={
        "expires_at": None, "min_purchase": None}))  # fmt: skip
    assert all("O cupom vale" not in words for words in endless.values())


def test_a_delay_refunds_the_offers_own_amount(renderer: Renderer) -> None:
    kind_facts = facts(Kind.DELAY_NOTICE, offer={"refund_amount": "999.00"})
    for channel, words in all_of(renderer, Kind.DELAY_NOTICE, kind_facts).items():
        assert "MX$ 999,00" in words and TOTAL not in words, (channel, words)


def delay_cases() -> list[dict[str, Any]]:
    """Every reason, with the top offer, a small one and none."""
    delay = sample_facts(Kind.DELAY_NOTICE)["full"]["delay"]
    reasons = [{"reason": r, "exception_reason": None} for r in ("eta_later", "stalled",
               "not_shipped")] + [{"reason": "exception", "exception_reason": why} for why in (
               "weather", "address_issue", "failed_attempt", "customs", "carrier_delay",
               "high_volume", "other", "lost", "damaged")]  # fmt: skip
    small = {"cancel_url": None, "percent_off": 10, "free_shipping": False}
    return [
        facts(Kind.DELAY_NOTICE, delay=delay | reason, offer=offer)
        for reason in reasons
        for offer in ({}, small, None)
    ]


@pytest.mark.parametrize("kind_facts", delay_cases())
def test_a_delay_sms_offers_both_choices_cancels_by_reply_and_fits_two_segments(
    renderer: Renderer, kind_facts: dict[str, Any]
) -> None:
    text = sms(renderer, Kind.DELAY_NOTICE, kind_facts)
    assert_fits(text)
    assert "responda CANCELAR" in text or "responder CANCELAR" in text, text
    assert "reembolso total de " + "MX$ " + TOTAL in text and "na hora" in text, text
    assert CANCEL_URL not in text and "/cancel" not in text, text  # the link never fits
    lost = kind_facts["delay"]["exception_reason"] in ("lost", "damaged")
    if lost:
        assert "sem custo" in text and "a escolha é sua" in text and "Nova data" not in text
    else:
        assert "esperar" in text.lower(), text
    if kind_facts["offer"] is not None and not lost:
        assert kind_facts["offer"]["coupon_code"] in text, text


def test_the_full_delay_sms_keeps_everything_that_fits(renderer: Renderer) -> None:
    text = sms(renderer, Kind.DELAY_NOTICE, facts(Kind.DELAY_NOTICE))
    assert_fits(text)
    for part in ("Pedido MX-5001", "Nova data: 16/11", COUPON, "20% de desconto",
                 "frete por nossa conta", "vale até 13/12", "por causa do mau tempo",
                 "desculpe", "responda CANCELAR", "MX$ 1.299,00 na hora"):  # fmt: skip
        assert part in text, (part, text)


# --- order_canceled -----------------------------------------------------------------------


def test_an_order_canceled_after_a_delay_refunds_in_full_at_once_with_the_amount(
    renderer: Renderer,
) -> None:
    for channel, words in all_of(renderer, Kind.ORDER_CANCELED, facts(Kind.ORDER_CANCELED)).items():
        lower = words.lower()
        assert TOTAL in words and "reembolso" in lower and "total" in lower, (channel, words)
        assert "imediato" in lower or "na hora" in lower, (channel, words)
        assert "separad" not in lower and "se houve" not in lower, (channel, words)
        assert "se algo foi cobrado" not in lower, (channel, words)


def test_an_order_canceled_by_the_customer_states_the_refund_amount(renderer: Renderer) -> None:
    kind_facts = facts(Kind.ORDER_CANCELED, "customer_request")
    for channel, words in all_of(renderer, Kind.ORDER_CANCELED, kind_facts).items():
        assert TOTAL in words and "reembols" in words.lower(), (channel, words)


@pytest.mark.parametrize("again", ["https://shop.example.com/again/MX-5001", None])
def test_an_expired_payment_asks_to_order_again_with_its_link_and_no_refund(
    renderer: Renderer, again: str | None
) -> None:
    kind_facts = facts(
        Kind.ORDER_CANCELED,
        "payment_expired",
        cancellation={"order_again_url": again},
        order={"status_url": None} if again is None else {},
    )
    for channel, words in all_of(renderer, Kind.ORDER_CANCELED, kind_facts).items():
        lower = words.lower()
        assert "pedido de novo" in lower, (channel, words)
        assert (again or "na nossa loja") in words, (channel, words)
        assert "reembols" not in lower and "estorn" not in lower, (channel, words)


# --- out_of_stock -------------------------------------------------------------------------


def test_out_of_stock_states_the_refund_and_what_happens_without_an_answer(
    renderer: Renderer,
) -> None:
    words = all_of(renderer, Kind.OUT_OF_STOCK, facts(Kind.OUT_OF_STOCK))
    assert "12/11 às 16:00" in words["sms"], words["sms"]
    for channel in ("whatsapp", "email"):
        assert "quinta-feira, 12 de novembro, às 16:00" in words[channel], channel
    for channel, text in words.items():
        assert "Chamarra de mezclilla" in text and TOTAL in text, (channel, text)
        assert "Sem resposta" in text or "Se não tivermos sua resposta" in text, channel
        assert "restante" in text, (channel, text)
    alternative = all_of(renderer, Kind.OUT_OF_STOCK, facts(Kind.OUT_OF_STOCK, "alternative"))
    assert "alternativa sugerida" in alternative["sms"]
    assert "enviaremos no lugar *Chamarra de mezclilla oscura*" in alternative["whatsapp"]
    only_item = all_of(renderer, Kind.OUT_OF_STOCK, facts(Kind.OUT_OF_STOCK, "only_item"))
    for channel, text in only_item.items():
        assert "cancel" in text and "restante" not in text, (channel, text)


def test_out_of_stock_sms_links_the_alternatives_and_fits_two_segments(
    renderer: Renderer,
) -> None:
    url = "https://shop.example.com/alternatives/MX-5001"
    for sample in ("full", "alternative", "only_item", "bare"):
        kind_facts = facts(Kind.OUT_OF_STOCK, sample)
        if sample != "bare":
            kind_facts["out_of_stock"]["alternatives_url"] = url
        text = sms(renderer, Kind.OUT_OF_STOCK, kind_facts)
        assert_fits(text)
        if sample != "bare":
            assert url in text and text.count("https://") == 1, text


# --- incentives ---------------------------------------------------------------------------


def test_incentives_state_their_expiry_and_minimum(renderer: Renderer) -> None:
    winback = all_of(renderer, Kind.WINBACK, facts(Kind.WINBACK))
    cart = all_of(renderer, Kind.CART_REMINDER_2, facts(Kind.CART_REMINDER_2))
    for channel in ("whatsapp", "email"):
        assert "quinta-feira, 10 de dezembro" in winback[channel], channel
        assert "a partir de MX$ 800,00" in winback[channel], channel
        assert "sexta-feira, 13 de novembro" in cart[channel], channel
    assert "até 10/12" in winback["sms"] and "MX$ 800,00" in winback["sms"], winback["sms"]
    assert "até 13/11" in cart["sms"], cart["sms"]
    for text in (winback["sms"], cart["sms"]):
        assert_fits(text)
        assert text.endswith("responda SAIR."), text


# --- SPEI ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
@pytest.mark.parametrize("reference", [None, "MX5001REF"])
def test_spei_gives_the_clabe_bank_beneficiary_and_reference_on_lines_of_their_own(
    renderer: Renderer, kind: Kind, reference: str | None
) -> None:
    kind_facts = facts(kind, "spei")
    kind_facts["payment"]["spei"]["reference"] = reference
    for channel in ("sms", "whatsapp", "email"):
        rendered = render(renderer, kind, channel, kind_facts)
        lines = rendered.text.splitlines()
        assert CLABE in lines and TOTAL in rendered.text, (channel, rendered.text)
        assert "Banco: STP" in lines, (channel, rendered.text)
        assert any(line.endswith(": Casa Lupita SA de CV") for line in lines), channel
        assert (
            (reference in lines)
            if reference
            else not any("Refer" in line or "Identificador" in line for line in lines)
        ), (channel, rendered.text)
        assert "comprovante" not in rendered.text.lower(), channel
        if rendered.html is not None:
            assert f">{CLABE}</p>" in rendered.html
            assert reference is None or f">{reference}</p>" in rendered.html
        if channel == "sms":
            assert_fits(rendered.text)


# --- every SMS ----------------------------------------------------------------------------


def test_no_pt_br_sms_of_any_sample_goes_over_two_segments(renderer: Renderer) -> None:
    for kind in KINDS:
        for name, kind_facts in sample_facts(kind).items():
            text = sms(renderer, kind, kind_facts)
            assert text.startswith(f"{SHOP}: "), (kind, name, text)
            count = count_segments(text)
            assert count.segments <= 2 and count.encoding == "GSM-7", (kind, name, count, text)


def test_an_sms_greets_by_name_only_when_the_name_keeps_it_gsm7(renderer: Renderer) -> None:
    samples = sample_facts(Kind.WINBACK)
    assert "Sentimos sua falta, Ana!" in sms(renderer, Kind.WINBACK, samples["full"])
    assert "Sentimos sua falta, Iñaki!" in sms(renderer, Kind.WINBACK, samples["Iñaki"])
    assert "Sentimos sua falta!" in sms(renderer, Kind.WINBACK, samples["Conceição"])
    confirmed = sms(renderer, Kind.ORDER_CONFIRMED, sample_facts(Kind.ORDER_CONFIRMED)["Conceição"])
    assert "Obrigado pela compra!" in confirmed, confirmed
