"""English messages a shop would sign, pass 2: the facts the policy gives the templates (coupon
terms, cancellation, out of stock, SPEI) reach the customer, and every transactional SMS fits
one segment. Rendered through the real templates with the sample facts, for Casa Lupita."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from notifier.messages.rendering import Rendered, Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.messages.conftest import read_all

ZONE = "America/Mexico_City"
TOTAL = "MX$1,299.00"
URL = re.compile(r"https?://\S+")
CHANNELS = ["sms", "whatsapp", "email"]


def facts_of(kind: Kind, sample: str = "full") -> dict[str, Any]:
    facts: dict[str, Any] = copy.deepcopy(sample_facts(kind)[sample])
    return facts


def render(renderer: Renderer, kind: Kind, channel: str, facts: dict[str, Any]) -> Rendered:
    return renderer.render(kind, channel, template_view(facts, kind, "en", ZONE))


@pytest.mark.parametrize(
    "kind", [Kind.DELAY_NOTICE, Kind.OUT_OF_STOCK, Kind.ORDER_CANCELED,
             Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER],
)  # fmt: skip
def test_these_sms_take_one_gsm7_segment_with_every_sample(renderer: Renderer, kind: Kind) -> None:
    counts = {
        sample: count_segments(render(renderer, kind, "sms", facts).text)
        for sample, facts in sample_facts(kind).items()
    }
    assert {s: (c.encoding, c.segments) for s, c in counts.items()} == {
        s: ("GSM-7", 1) for s in counts
    }


@pytest.mark.parametrize("reason", ["weather", "lost", "damaged"])
def test_a_delay_sms_cancels_by_reply_with_the_amount_and_no_link(
    renderer: Renderer, reason: str
) -> None:
    facts = facts_of(Kind.DELAY_NOTICE)
    facts["delay"]["exception_reason"] = reason
    text = render(renderer, Kind.DELAY_NOTICE, "sms", facts).text
    assert "CANCEL" in text and TOTAL in text and not URL.search(text), text
    assert re.search(r"immediate|refund now", text), text
    if reason == "weather":  # both choices: wait with the coupon and what it gives
        assert "Wait" in text and facts["offer"]["coupon_code"] in text and "20% off" in text
        assert "Mon, Nov 16" in text
    else:
        assert "new one at no cost" in text and "you choose" in text and "Nov 16" not in text


def test_a_delay_sms_adds_the_coupon_expiry_when_it_fits(renderer: Renderer) -> None:
    facts = facts_of(Kind.DELAY_NOTICE)
    facts["offer"] |= {"coupon_code": "PERDON-2", "free_shipping": False}
    text = render(renderer, Kind.DELAY_NOTICE, "sms", facts).text
    assert "valid until Sun, Dec 13" in text and count_segments(text).segments == 1


@pytest.mark.parametrize("channel", ["whatsapp", "email"])
def test_a_delay_states_the_coupon_expiry_and_minimum_and_both_choices(
    renderer: Renderer, channel: str
) -> None:
    for reason in ("weather", "lost"):
        facts = facts_of(Kind.DELAY_NOTICE)
        facts["delay"]["exception_reason"] = reason
        words = read_all(render(renderer, Kind.DELAY_NOTICE, channel, facts))
        assert "valid until Sun, Dec 13" in words, words
        assert "of MX$500.00 or more" in words, words
        assert re.search(rf"refund \*?{re.escape(TOTAL)}\*?( in full,)? right away", words), words
        assert facts["offer"]["cancel_url"] in words


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_order_canceled_after_a_delay_refunds_the_full_amount_right_away(
    renderer: Renderer, channel: str
) -> None:
    words = read_all(render(renderer, Kind.ORDER_CANCELED, channel, facts_of(Kind.ORDER_CANCELED)))
    assert re.search(rf"refunding the full \*?{re.escape(TOTAL)}\*? right away", words), words
    assert "separately" not in words and "if you were charged" not in words.lower()


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_order_canceled_unpaid_says_order_again_with_its_link(
    renderer: Renderer, channel: str
) -> None:
    facts = facts_of(Kind.ORDER_CANCELED, "payment_expired")
    facts["cancellation"]["order_again_url"] = "https://shop.example.com/again"
    words = read_all(render(renderer, Kind.ORDER_CANCELED, channel, facts))
    assert "order again" in words and "https://shop.example.com/again" in words
    assert "refund" not in words.lower()
    asked = facts_of(Kind.ORDER_CANCELED, "customer_request")
    assert TOTAL in read_all(render(renderer, Kind.ORDER_CANCELED, channel, asked))


@pytest.mark.parametrize("channel", CHANNELS)
def test_out_of_stock_states_the_refund_and_what_happens_without_an_answer(
    renderer: Renderer, channel: str
) -> None:
    if channel == "sms":  # short: "Alternative by Nov 12 4 PM, else refund MX$1,299.00:"
        expected = {"full": r"Alternative by Nov 12 4 PM, else refund",
                    "alternative": r"Alternative ships Nov 12 4 PM, or refund",
                    "only_item": r"by Nov 12 4 PM, else we cancel and refund"}  # fmt: skip
    else:
        by = r"If we don't hear from you by \*?Thu, Nov 12 4:00 PM\*?, we'll"
        expected = {"full": rf"{by} refund \*?{re.escape(TOTAL)}",
                    "alternative": rf"{by} send the alternative",
                    "only_item": rf"{by} cancel the order and refund"}  # fmt: skip
    for sample, default in expected.items():
        facts = facts_of(Kind.OUT_OF_STOCK, sample)
        words = read_all(render(renderer, Kind.OUT_OF_STOCK, channel, facts))
        assert "Chamarra de mezclilla" in words and TOTAL in words, words
        assert facts["out_of_stock"]["alternatives_url"] in words
        assert re.search(default, words), (default, words)
        rest = "rest ships" if channel == "sms" else "rest of your order ships"
        assert (rest in words) == (sample == "full" or sample == "alternative"), words


def test_out_of_stock_sms_links_the_alternatives_once(renderer: Renderer) -> None:
    facts = facts_of(Kind.OUT_OF_STOCK)
    facts["out_of_stock"]["alternatives_url"] = "https://shop.example.com/alt/MX-5001"
    text = render(renderer, Kind.OUT_OF_STOCK, "sms", facts).text
    assert URL.findall(text) == ["https://shop.example.com/alt/MX-5001"]


@pytest.mark.parametrize("kind", [Kind.CART_REMINDER_2, Kind.WINBACK])
@pytest.mark.parametrize("channel", CHANNELS)
def test_an_incentive_states_its_expiry_and_minimum(
    renderer: Renderer, kind: Kind, channel: str
) -> None:
    facts = facts_of(kind)
    facts["incentive"]["min_purchase"] = "300.00"
    words = read_all(render(renderer, kind, channel, facts))
    day = {Kind.CART_REMINDER_2: "Fri, Nov 13", Kind.WINBACK: "Thu, Dec 10"}[kind]
    assert f"valid until {day}" in words and "MX$300.00 or more" in words, words
    if channel != "email":
        assert words.endswith("Reply STOP to stop these messages.")
    if channel == "sms":
        assert count_segments(words).segments <= 2


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
@pytest.mark.parametrize("channel", CHANNELS)
def test_spei_shows_clabe_and_reference_on_lines_of_their_own_and_where_it_goes(
    renderer: Renderer, kind: Kind, channel: str
) -> None:
    facts = facts_of(kind, "spei")
    rendered = render(renderer, kind, channel, facts)
    lines = rendered.text.splitlines()
    assert "646180157000000004" in lines and TOTAL in rendered.text
    assert "to Casa Lupita SA de CV at STP" in rendered.text
    if rendered.html is not None:
        assert ">646180157000000004</" in rendered.html
    facts["payment"]["spei"]["reference"] = "REF-88123"
    with_reference = render(renderer, kind, channel, facts)
    lines = with_reference.text.splitlines()
    assert "646180157000000004" in lines and "REF-88123" in lines
    if with_reference.html is not None:
        assert ">REF-88123</" in with_reference.html


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
def test_a_pix_sms_carries_the_voucher_link_and_whatsapp_the_code(
    renderer: Renderer, kind: Kind
) -> None:
    facts = facts_of(kind)
    sms = render(renderer, kind, "sms", facts).text
    assert facts["payment"]["voucher_url"] in sms.splitlines()
    assert facts["payment"]["code"] not in sms and count_segments(sms).segments == 1
    whatsapp = render(renderer, kind, "whatsapp", facts).text
    assert facts["payment"]["code"] in whatsapp.splitlines()
    boleto = render(renderer, kind, "sms", facts_of(kind, "boleto")).text
    assert count_segments(boleto).segments == 1 and "up to 3 business days" in boleto
