"""One-tap choices in every locale (issue 17): the numbered replies a message offers, the coupon
code kept for the acknowledgement, what each acknowledgement says, the button labels, the
question an action word gets, and the page an email's choice opens."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from notifier.decide import choices
from notifier.decide.policy import Policy
from notifier.messages.check import LABEL_LIMIT, check_templates
from notifier.messages.rendering import Rendered, Renderer
from notifier.messages.samples import offering, sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.conftest import TEMPLATES
from tests.messages.conftest import SHOP, read_all

ZONE = "America/Mexico_City"
LOCALES = ("es", "pt-BR", "en")
SEGMENTS = {"es": 1, "en": 1, "pt-BR": 2}  # the copy rules' budget for transactional SMS
CODE = "PERDON-7K2Q9XH4PD"
OFFERING = (Kind.DELAY_NOTICE, Kind.OUT_OF_STOCK, Kind.ORDER_DELIVERED, Kind.HANDOFF_FOLLOWUP)
# Each kind's sample that offers choices, and the numbers its SMS must print.
OFFERED = {
    Kind.DELAY_NOTICE: ("choices", ("1", "2", "3")),
    Kind.OUT_OF_STOCK: ("choices", ("1", "2", "3")),
    Kind.ORDER_DELIVERED: ("choices", ("1", "5")),
    Kind.HANDOFF_FOLLOWUP: ("full", ("1", "2")),
}
REPLY_WORD = {"es": "Responde", "pt-BR": "Responda", "en": "Reply"}
STOP_WORD = {"es": "BAJA", "pt-BR": "SAIR", "en": "STOP"}
# How each locale writes the sample's out-of-hours answer-by time (HANDOFFS["bare"]).
LATER = {"es": "11 de noviembre a las 10:00 a.m.", "pt-BR": "11/11 às 10:00",
         "en": "Wed, Nov 11 10:00 AM"}  # fmt: skip
LATER_WRITTEN = LATER | {"pt-BR": "quarta-feira, 11 de novembro, às 10:00"}  # WhatsApp, email
WITHIN = {"es": "1 hora", "pt-BR": "1 hora", "en": "1 hour"}


def facts(kind: str, sample: str = "full") -> dict[str, Any]:
    chosen: dict[str, Any] = copy.deepcopy(sample_facts(kind)[sample])
    return chosen


def render(
    renderer: Renderer, kind: str, channel: str, chosen: dict[str, Any], locale: str
) -> Rendered:
    return renderer.render(kind, channel, template_view(chosen, kind, locale, ZONE))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", OFFERING)
def test_an_sms_that_offers_choices_numbers_them_within_its_budget(
    renderer: Renderer, kind: Kind, locale: str
) -> None:
    sample, numbers = OFFERED[kind]
    text = render(renderer, kind, "sms", facts(kind, sample), locale).text
    count = count_segments(text)
    assert (count.encoding, count.segments <= SEGMENTS[locale]) == ("GSM-7", True), (count, text)
    assert REPLY_WORD[locale] in text, text
    replies = text.split(REPLY_WORD[locale], 1)[1]
    assert all(re.search(rf"\b{number}\b", replies) for number in numbers), text
    assert "CANCELAR" not in text and "CANCEL" not in text  # the numbers are what we print


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_that_offers_choices_fits_the_sms_budget(
    renderer: Renderer, locale: str
) -> None:
    over = []
    for kind in OFFERING:
        for name, chosen in sample_facts(kind).items():
            count = count_segments(render(renderer, kind, "sms", chosen, locale).text)
            if count.encoding != "GSM-7" or count.segments > SEGMENTS[locale]:
                over.append((kind, name, count))
    assert over == []


@pytest.mark.parametrize("locale", LOCALES)
def test_a_delay_notice_withholds_the_coupon_code_while_waiting_is_a_choice(
    renderer: Renderer, locale: str
) -> None:
    for channel in ("sms", "whatsapp", "email"):
        offered = read_all(
            render(
                renderer, Kind.DELAY_NOTICE, channel, facts(Kind.DELAY_NOTICE, "choices"), locale
            )
        )
        assert CODE not in offered, (channel, offered)
        assert "20%" in offered, (channel, offered)  # what waiting gives is still said
        before = read_all(
            render(renderer, Kind.DELAY_NOTICE, channel, facts(Kind.DELAY_NOTICE), locale)
        )
        assert CODE in before, (channel, before)  # no choices: today's text, code included
    unlinked = render(
        renderer, Kind.DELAY_NOTICE, "email", facts(Kind.DELAY_NOTICE, "choices_unlinked"), locale
    )
    assert CODE in read_all(unlinked)  # an email without our links says what it said before


@pytest.mark.parametrize("locale", LOCALES)
def test_an_email_links_each_choice_to_its_page(renderer: Renderer, locale: str) -> None:
    for kind in OFFERING:
        chosen = facts(kind, OFFERED[kind][0])
        email = render(renderer, kind, "email", chosen, locale)
        for choice in chosen["choices"]:
            assert choice["url"] in (email.text or ""), (kind, choice)
            assert f'href="{choice["url"]}"' in (email.html or ""), (kind, choice)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_delay_without_the_cancel_choice_does_not_offer_to_cancel(
    renderer: Renderer, locale: str
) -> None:
    chosen = facts(Kind.DELAY_NOTICE, "choices_no_cancel")
    sms = render(renderer, Kind.DELAY_NOTICE, "sms", chosen, locale).text
    assert not re.search(r"\b3\b", sms.split(REPLY_WORD[locale], 1)[1]), sms
    assert not re.search(r"cancel", sms, re.IGNORECASE), sms
    whatsapp = render(renderer, Kind.DELAY_NOTICE, "whatsapp", chosen, locale).text
    label = (TEMPLATES / locale / "_choices" / "cancel.txt").read_text(encoding="utf-8").strip()
    assert label not in whatsapp and "*2 · " in whatsapp and "*3 · " not in whatsapp, whatsapp


@pytest.mark.parametrize("locale", LOCALES)
def test_the_acknowledgement_of_waiting_gives_the_coupon_code_on_every_channel(
    renderer: Renderer, locale: str
) -> None:
    for channel in ("sms", "whatsapp", "email"):
        text = read_all(
            render(renderer, Kind.CHOICE_ACK, channel, facts(Kind.CHOICE_ACK, "wait"), locale)
        )
        assert CODE in text, (channel, text)
    bare = render(renderer, Kind.CHOICE_ACK, "sms", facts(Kind.CHOICE_ACK, "bare"), locale).text
    assert "PERDON-2" in bare, bare


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("sample", ["person", "bare_person", "solved_no", "csat_2"])
def test_an_acknowledgement_that_hands_over_to_a_person_says_by_when(
    renderer: Renderer, locale: str, sample: str
) -> None:
    chosen = facts(Kind.CHOICE_ACK, sample)
    later = not chosen["choice"]["handoff"]["in_hours"]
    for channel in ("sms", "whatsapp", "email"):
        text = render(renderer, Kind.CHOICE_ACK, channel, chosen, locale).text
        if later:
            expected = LATER[locale] if channel == "sms" else LATER_WRITTEN[locale]
        else:
            expected = WITHIN[locale]
        assert expected in text, (channel, text)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_low_score_is_answered_with_a_person_and_a_high_one_with_thanks(
    renderer: Renderer, locale: str
) -> None:
    low = render(
        renderer, Kind.CHOICE_ACK, "whatsapp", facts(Kind.CHOICE_ACK, "csat_1"), locale
    ).text
    high = render(
        renderer, Kind.CHOICE_ACK, "whatsapp", facts(Kind.CHOICE_ACK, "csat_5"), locale
    ).text
    assert WITHIN[locale] in low and WITHIN[locale] not in high, (low, high)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_cancel_states_the_full_amount_and_when_it_is_confirmed(
    renderer: Renderer, locale: str
) -> None:
    amount = {"es": "$1,299.00", "pt-BR": "1.299,00", "en": "MX$1,299.00"}[locale]
    minutes = {"es": "minutos", "pt-BR": "minutos", "en": "minutes"}[locale]
    quick = render(renderer, Kind.CHOICE_ACK, "sms", facts(Kind.CHOICE_ACK, "cancel"), locale).text
    assert amount in quick and minutes in quick, quick  # the shop cancels at once
    by_hand = render(
        renderer, Kind.CHOICE_ACK, "sms", facts(Kind.CHOICE_ACK, "cancel_by_hand"), locale
    ).text
    assert amount in by_hand and minutes not in by_hand and LATER[locale] in by_hand, by_hand


def test_every_choice_has_a_label_of_at_most_twenty_characters_in_every_locale() -> None:
    for locale in LOCALES:
        for name in (*choices.WORDS, *choices.CSAT):
            label = (TEMPLATES / locale / "_choices" / f"{name}.txt").read_text(encoding="utf-8")
            assert 0 < len(label.strip()) <= LABEL_LIMIT and "\n" not in label.strip(), (
                locale,
                name,
            )


def test_the_check_fails_on_a_missing_or_long_choice_label(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    root = tmp_path / "templates"
    (root / "es" / "_choices" / "wait.txt").write_text(
        "Esperar mi pedido con cupón\n", encoding="utf-8"
    )
    (root / "en" / "_choices" / "csat_3.txt").unlink()
    checked = check_templates(Renderer(root, "es"), Policy(sms_max_segments=3))
    found = {
        (line.locale, line.sample): line.error or ""
        for line in checked
        if line.error and line.channel == "label"
    }
    assert set(found) == {("es", "wait"), ("en", "csat_3")}, found
    assert "27 characters, over 20" in found[("es", "wait")]
    assert "missing _choices/csat_3.txt" in found[("en", "csat_3")]


@pytest.mark.parametrize("locale", LOCALES)
def test_an_action_word_without_an_open_choice_gets_a_question_naming_the_stop_word(
    renderer: Renderer, locale: str
) -> None:
    path, _ = renderer.resolve("_replies", "question.txt", locale)
    source = (renderer.templates_dir / path).read_text(encoding="utf-8")
    text = renderer.render_expression(source, {"locale": locale})
    assert "?" in text and STOP_WORD[locale] in text, text
    assert len(text) <= 160, text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_choice_page_asks_to_confirm_with_a_post_then_shows_the_acknowledgement(
    renderer: Renderer, locale: str
) -> None:
    source = (TEMPLATES / locale / "_choices" / "page.html").read_text(encoding="utf-8")
    view = {"locale": locale, "shop_name": SHOP, "order": {"number": "MX-5001"},
            "choice": {"name": "wait", "label": "<b>Esperar</b>"},
            "action_url": "/choices/tok1", "done": False, "ack": None}  # fmt: skip
    asking = renderer.render_source(source, view, html=True)
    assert '<form method="post" action="/choices/tok1">' in asking and "MX-5001" in asking
    assert "&lt;b&gt;Esperar&lt;/b&gt;" in asking and "<b>" not in asking  # escaped
    assert not re.search(r"\b(src|href)=|@import|url\(", asking)  # nothing external
    done = renderer.render_source(
        source, view | {"done": True, "ack": f"Gracias, {CODE}"}, html=True
    )
    assert CODE in done and "<form" not in done


def test_a_view_without_choices_offers_none_and_bare_names_are_numbered() -> None:
    older = template_view(facts(Kind.DELAY_NOTICE), Kind.DELAY_NOTICE, "es", ZONE)
    assert (older["choices"], older["buttons"], older["choice"]) == ([], {}, None)
    stored = facts(Kind.DELAY_NOTICE) | {"choices": ["wait", "cancel"]}
    named = template_view(stored, Kind.DELAY_NOTICE, "es", ZONE)["choices"]
    assert [(c["name"], c["number"], c["url"]) for c in named] == [
        ("wait", 1, None),
        ("cancel", 2, None),
    ]
    given = template_view(
        facts(Kind.DELAY_NOTICE) | offering(("wait", "person"), True), Kind.DELAY_NOTICE, "es", ZONE
    )
    assert given["buttons"] == {"wait": "ch-5001-1", "person": "ch-5001-2"}


def test_the_times_of_a_choice_and_a_handoff_are_typed() -> None:
    ack = template_view(facts(Kind.CHOICE_ACK, "person"), Kind.CHOICE_ACK, "es", ZONE)
    assert ack["choice"]["handoff"]["reply_by"].isoformat() == "2026-11-10T11:00:00-06:00"
    followup = template_view(facts(Kind.HANDOFF_FOLLOWUP), Kind.HANDOFF_FOLLOWUP, "es", ZONE)
    assert (
        followup["handoff"]["closed_at"].hour == 10 and followup["handoff"]["opened_at"].minute == 5
    )


def test_both_new_kinds_are_transactional() -> None:
    assert not Kind.CHOICE_ACK.is_marketing and not Kind.HANDOFF_FOLLOWUP.is_marketing


@pytest.mark.parametrize("locale", LOCALES)
def test_an_acknowledgement_email_escapes_the_shops_data(renderer: Renderer, locale: str) -> None:
    chosen = facts(Kind.CHOICE_ACK, "wait")
    chosen["order"]["number"] = "<b>MX-1</b>"
    html = render(renderer, Kind.CHOICE_ACK, "email", chosen, locale).html or ""
    assert "<b>MX-1</b>" not in html and "&lt;b&gt;MX-1&lt;/b&gt;" in html, html
