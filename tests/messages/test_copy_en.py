"""English messages a shop would sign (issue "Messages a shop would sign", pass 1): one test per
copy rule, rendered through the real templates with the sample facts, for the shop Casa Lupita.
"""

from __future__ import annotations

import copy
import re
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
TOTAL = "MX$1,299.00"  # the sample order's total, as English writes it
MARKETING = [kind for kind in Kind if kind.is_marketing]
URL = re.compile(r"https?://\S+")


def facts_of(kind: Kind, sample: str = "full") -> dict[str, Any]:
    """A copy of a sample's facts, to change for a case."""
    facts: dict[str, Any] = copy.deepcopy(sample_facts(kind)[sample])
    return facts


def render(renderer: Renderer, kind: Kind, channel: str, facts: dict[str, Any]) -> Rendered:
    return renderer.render(kind, channel, template_view(facts, kind, "en", ZONE))


@pytest.fixture
def unnamed(sqlite_url: str) -> Renderer:
    return renderer_for(settings_for(sqlite_url))


def test_transactional_sms_take_one_gsm7_segment_and_marketing_at_most_two(
    renderer: Renderer,
) -> None:
    over: list[str] = []
    for kind in Kind:
        for sample, facts in sample_facts(kind).items():
            count = count_segments(render(renderer, kind, "sms", facts).text)
            budget = 2 if kind.is_marketing else 1
            if count.encoding != "GSM-7" or count.segments > budget:
                over.append(f"{kind} [{sample}]: {count.segments} x {count.encoding}")
        source = (TEMPLATES / "en" / kind / "sms.txt").read_text()
        if not (source.startswith("{#") and "á í ó ú" in source.split("#}")[0]):
            over.append(f"{kind}: its sms.txt does not open with the characters to avoid")
    assert over == []


def test_whatsapp_names_the_shop_and_reads_well_without_a_name(
    renderer: Renderer, unnamed: Renderer
) -> None:
    for kind in Kind:
        named = render(renderer, kind, "whatsapp", facts_of(kind)).text.splitlines()
        bare = render(renderer, kind, "whatsapp", facts_of(kind, "bare")).text.splitlines()
        without = render(unnamed, kind, "whatsapp", facts_of(kind)).text
        assert named[0] == f"Hi Ana, this is {SHOP}.", (kind, named)
        assert bare[0] == f"Hi there, this is {SHOP}.", (kind, bare)
        assert without.splitlines()[0] == "Hi Ana," and "None" not in without, (kind, without)


def test_no_email_asks_for_a_reply_unless_a_reply_reaches_a_person(
    renderer: Renderer, replying: Renderer
) -> None:
    asking = [
        (kind, sample)
        for kind in Kind
        for sample, facts in sample_facts(kind).items()
        if re.search(r"\breply", read_all(render(renderer, kind, "email", facts)), re.I)
    ]
    assert asking == []
    shipped = render(replying, Kind.ORDER_SHIPPED, "email", facts_of(Kind.ORDER_SHIPPED))
    assert "just reply to this email" in shipped.text


def test_marketing_sms_and_whatsapp_say_how_to_stop_them(renderer: Renderer) -> None:
    silent = [
        (kind, channel, sample)
        for kind in MARKETING
        for channel in ("sms", "whatsapp")
        for sample, facts in sample_facts(kind).items()
        if not render(renderer, kind, channel, facts).text.endswith(
            "Reply STOP to stop these messages."
        )
    ]
    assert silent == []


def delay_cases() -> dict[str, dict[str, Any]]:
    """The full delay (with a cancel link), without the link, without an offer, and stalled."""
    full = facts_of(Kind.DELAY_NOTICE)
    no_link = copy.deepcopy(full)
    no_link["offer"]["cancel_url"] = None
    no_offer = copy.deepcopy(no_link) | {"offer": None}
    stalled = copy.deepcopy(no_link)
    stalled["delay"] |= {"reason": "stalled", "days_late": 1, "new_eta": None}
    return {"link": full, "no link": no_link, "no offer": no_offer, "stalled": stalled}


@pytest.mark.parametrize("case", ["link", "no link", "no offer", "stalled"])
@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_a_delay_offers_waiting_or_cancelling_for_an_immediate_full_refund(
    renderer: Renderer, replying: Renderer, case: str, channel: str
) -> None:
    facts = delay_cases()[case]
    text = render(replying, Kind.DELAY_NOTICE, channel, facts).text
    assert "wait" in text.lower() and TOTAL in text
    assert re.search(r"immediate full refund|in full, right away", text), text
    offer = facts["offer"]
    if offer:
        assert offer["coupon_code"] in text and "20% off" in text and "free shipping" in text
    if channel == "sms":  # the reply word, always: the cancel link does not fit one segment
        assert "reply CANCEL" in text and not URL.search(text), text
    else:
        assert ((offer and offer["cancel_url"]) or "CANCEL") in text
    if channel == "email" and not (offer and offer["cancel_url"]):  # no reply reaches anyone:
        email = render(renderer, Kind.DELAY_NOTICE, "email", facts).text  # the order page
        assert f"from your order page: {facts['order']['status_url']}" in email


@pytest.mark.parametrize("reason", ["lost", "damaged"])
@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_a_lost_or_damaged_package_is_replaced_or_refunded_never_given_a_new_date(
    replying: Renderer, reason: str, channel: str
) -> None:
    facts = facts_of(Kind.DELAY_NOTICE)
    facts["delay"]["exception_reason"] = reason
    rendered = render(replying, Kind.DELAY_NOTICE, channel, facts)
    words = read_all(rendered)
    assert "new one at no cost" in words and "you choose" in words
    assert re.search(rf"refund you (?:in full|{re.escape(TOTAL)})", words) and TOTAL in words
    if channel == "sms":  # the reply word, never the link
        assert "Reply CANCEL" in words and not URL.search(words), words
    else:
        assert facts["offer"]["cancel_url"] in words
    assert not re.search(r"new date|new estimated|later than|arrive late|Nov 16", words, re.I)
    facts["offer"]["cancel_url"] = None
    assert "CANCEL" in render(replying, Kind.DELAY_NOTICE, channel, facts).text


@pytest.mark.parametrize("kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER])
@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_a_voucher_shows_the_amount_and_its_code_on_a_line_of_its_own(
    renderer: Renderer, kind: Kind, channel: str
) -> None:
    for sample in ("full", "oxxo", "boleto"):
        facts = facts_of(kind, sample)
        rendered = render(renderer, kind, channel, facts)
        assert TOTAL in rendered.text, (sample, rendered.text)
        lines = rendered.text.splitlines()
        if channel == "sms" and sample == "full":  # a Pix code fits no SMS: its voucher does
            assert facts["payment"]["voucher_url"] in lines, rendered.text
            assert facts["payment"]["code"] not in rendered.text
        else:
            assert facts["payment"]["code"] in lines, (sample, rendered.text)
        if rendered.html is not None:
            assert re.search(rf">{re.escape(facts['payment']['code'])}</", rendered.html)
        if sample == "oxxo":
            assert re.search(r"charges a (service )?fee", rendered.text)
        if sample == "boleto":
            assert "up to 3 business days" in rendered.text


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_an_order_canceled_unpaid_can_be_placed_again_and_promises_no_refund(
    renderer: Renderer, channel: str
) -> None:
    facts = facts_of(Kind.ORDER_CANCELED, "payment_expired")
    words = read_all(render(renderer, Kind.ORDER_CANCELED, channel, facts))
    assert "refund" not in words.lower()
    assert "order again" in words and facts["cancellation"]["order_again_url"] in words


def test_an_out_of_stock_sms_links_once_and_says_the_rest_ships(renderer: Renderer) -> None:
    facts = facts_of(Kind.OUT_OF_STOCK)
    text = render(renderer, Kind.OUT_OF_STOCK, "sms", facts).text
    assert URL.findall(text) == [facts["out_of_stock"]["alternatives_url"]]
    assert "rest ships" in text
    only = facts_of(Kind.OUT_OF_STOCK, "only_item")  # nothing else is left to ship
    assert "rest" not in render(renderer, Kind.OUT_OF_STOCK, "sms", only).text
    no_page = facts_of(Kind.OUT_OF_STOCK)
    no_page["order"]["status_url"] = no_page["out_of_stock"]["alternatives_url"] = None
    text = render(renderer, Kind.OUT_OF_STOCK, "sms", no_page).text
    assert URL.findall(text) == ["https://shop.example.com/p/SKU-2"]


BOLD_TIME_AND_PERIOD = re.compile(r"\*[^*\n]*(?:AM|PM|, \d{4}|hours?|minutes?|today)\*\.")


def test_whatsapp_greets_hi_ana_and_no_date_or_time_is_followed_by_a_stray_period(
    renderer: Renderer,
) -> None:
    wrong: list[tuple[Kind, str, str]] = []
    for kind in Kind:
        for sample, facts in sample_facts(kind).items():
            whatsapp = render(renderer, kind, "whatsapp", facts).text
            greeting = f"Hi {facts['customer']['first_name'] or 'there'},"
            if not whatsapp.startswith(greeting) or BOLD_TIME_AND_PERIOD.search(whatsapp):
                wrong.append((kind, sample, whatsapp))
            for channel in ("sms", "whatsapp", "email"):
                words = read_all(render(renderer, kind, channel, facts))
                if re.search(r"\.\.|\b(?:AM|PM)\.|free delivery", words, re.I):
                    wrong.append((kind, sample, words))
    assert wrong == []
