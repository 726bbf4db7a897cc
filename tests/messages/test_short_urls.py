"""Which links a message's facts carry, and the facts with their short links."""

from __future__ import annotations

from typing import Any

from notifier.decide.facts import snapshot
from notifier.decide.policy import Policy
from notifier.decide.routing import Route
from notifier.messages.compose import Draft, OfferedChoice, compose
from notifier.messages.rendering import Renderer
from notifier.messages.segments import count_segments
from notifier.messages.short_urls import is_link, links_in, shortened
from notifier.vocabulary import Channel, Kind
from tests.conftest import TEMPLATES, example

FACTS: dict[str, Any] = {
    "order": {"number": "MX-5001", "status_url": "https://shop.example.com/orders/MX-5001"},
    "shipment": {"tracking_url": "https://track.example.com/EST1?a=1&b=2", "carrier": "Estafeta"},
    "items": [{"name": "Taza", "url": "http://shop.example.com/p/taza"},
              {"name": "https://not a link", "url": "javascript:alert(1)"}],
    "note": "ver https://shop.example.com en la web",
}  # fmt: skip


def test_the_links_of_the_facts_are_each_http_url_once_in_order() -> None:
    again = FACTS | {"copy": {"status_url": "https://shop.example.com/orders/MX-5001"}}
    assert links_in(again) == [
        "https://shop.example.com/orders/MX-5001",
        "https://track.example.com/EST1?a=1&b=2",
        "http://shop.example.com/p/taza",
    ]


def test_a_choices_page_is_a_link_too() -> None:
    choices = (OfferedChoice("wait", 1, "b1", "https://n.example.com/choices/t1"),
               OfferedChoice("cancel", 2, "b2", None))  # fmt: skip
    assert links_in({}, [c.url for c in choices]) == ["https://n.example.com/choices/t1"]


def test_shortened_replaces_whole_links_only_and_leaves_the_facts_as_they_were() -> None:
    short = {"https://track.example.com/EST1?a=1&b=2": "https://n.example.com/r/Ab3_-x9Q"}
    facts = shortened(FACTS, short)
    assert facts["shipment"]["tracking_url"] == "https://n.example.com/r/Ab3_-x9Q"
    assert facts["order"] == FACTS["order"] and facts["items"] == FACTS["items"]
    assert FACTS["shipment"]["tracking_url"] == "https://track.example.com/EST1?a=1&b=2"


def test_only_absolute_http_urls_without_spaces_are_links() -> None:
    assert is_link("https://a.example/x") and is_link("http://a.example")
    assert not any(map(is_link, ["ftp://a", "javascript:x", "/orders/1", "https://a b", 7, None]))


def draft(short_urls: dict[str, str]) -> Draft:
    placed, shipped = example("order_placed"), example("order_shipped")
    shipment = shipped["shipment"] | {"tracking_url": TRACKING}
    facts = snapshot(placed["customer"], placed["order"], shipment)
    return Draft(1, Kind.ORDER_SHIPPED, facts, "es-MX", "America/Mexico_City", False,
                 short_urls=short_urls)  # fmt: skip


TRACKING = "https://t.example/EST1"
SMS = Route(Channel.SMS, Channel.SMS, "+525512345678")


def test_an_sms_takes_its_short_links_unless_they_would_cost_a_segment_more() -> None:
    renderer, policy = Renderer(TEMPLATES, "es"), Policy()
    short = compose(renderer, policy, draft({TRACKING: "https://n.example/r/Ab3_-x9Q"}), SMS)
    assert "https://n.example/r/Ab3_-x9Q" in short.body and TRACKING not in short.body
    long_public = "https://notificaciones.una-tienda-con-un-dominio-muy-largo.example/r/" + "A" * 8
    kept = compose(renderer, policy, draft({TRACKING: long_public}), SMS)
    as_written = compose(renderer, policy, draft({}), SMS)
    assert kept.body == as_written.body and TRACKING in kept.body
    assert count_segments(as_written.body.replace(TRACKING, long_public)).segments == 2


def test_an_email_keeps_its_links_as_written() -> None:
    email = Route(Channel.EMAIL, Channel.EMAIL, "ana@example.com")
    mail = compose(Renderer(TEMPLATES, "es"), Policy(), draft({TRACKING: "https://n/r/x"}), email)
    assert TRACKING in mail.body and "https://n/r/x" not in (mail.html or "") + mail.body
