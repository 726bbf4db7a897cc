"""SMS in GSM-7 where one fits: the characters that force UCS-2, what GSM-7 would take, and the
transliteration an SMS gets before it is sent, through the real Renderer."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from notifier.decide.policy import Policy, PolicyError, load_policy
from notifier.messages.rendering import Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments, is_gsm7, is_gsm7_character
from notifier.messages.transliteration import (
    LOOKALIKES,
    UNACCENTED_LETTERS,
    explain_encoding,
    transliterate,
)
from notifier.messages.views import template_view
from notifier.vocabulary import Kind

VECTORS = Path(__file__).parents[1] / "data" / "sms_segments.json"
GSM7_ACCENTED = "é è à ì ò ù ñ ü ö ä Ç É Ñ Ü Ö Ä Å å Ø ø ß ¿ ¡"


def render_sms(tmp_path: Path, source: str, locale: str = "pt-BR", **customer: str) -> str:
    """Render `source` as the SMS of order_confirmed for the full sample order."""
    target = tmp_path / locale / "order_confirmed" / "sms.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    facts = sample_facts("order_confirmed")["full"]
    facts = facts | {"customer": facts["customer"] | customer}
    view = template_view(facts, Kind.ORDER_CONFIRMED, locale, "America/Sao_Paulo")
    return Renderer(tmp_path, locale).render("order_confirmed", "sms", view).text


def test_a_ucs2_sms_names_its_culprits_in_order_and_its_gsm7_count(tmp_path: Path) -> None:
    source = (
        "Tu envío {{ order.number }} salió hoy \u2013 llegará el viernes; más información "
        "en {{ order.status_url }} o escríbenos."
    )
    report = explain_encoding(render_sms(tmp_path, source, "es-MX"))
    assert report.culprits == ("í", "ó", "\u2013", "á")  # each once, as they first appear
    assert (report.count.encoding, report.count.segments) == ("UCS-2", 2)
    assert report.gsm7 is not None
    assert (report.gsm7.encoding, report.gsm7.segments) == ("GSM-7", 1)
    assert report.no_gsm7_form == ()


def test_an_emoji_has_no_gsm7_form_and_keeps_the_sms_as_written(tmp_path: Path) -> None:
    text = render_sms(tmp_path, "“Listo”, {{ customer.first_name }} 🎉 {{ order.number }}")
    report = explain_encoding(text)
    assert report.culprits == ("\u201c", "\u201d", "🎉")
    assert report.gsm7 is None and report.no_gsm7_form == ("🎉",)
    assert transliterate(text, "accents") == text


def test_lookalikes_become_gsm7_and_letters_stay(tmp_path: Path) -> None:
    source = (
        "“{{ customer.first_name }}”, tu pedido {{ order.number }} \u2013 \u2018listo\u2019 "
        "— sale hoy… \u2022 total {{ order.total | money(order.currency) }}\u202fya"
    )
    text = render_sms(tmp_path, source, "es-MX", name="Iñaki Goñi", first_name="Iñaki")
    sent = transliterate(text, "lookalikes")
    assert sent == "\"Iñaki\", tu pedido MX-5001 - 'listo' - sale hoy... - total $1,299.00 ya"
    assert count_segments(text).encoding == "UCS-2"
    assert count_segments(sent).encoding == "GSM-7"


def test_lookalikes_leave_a_text_with_accents_gsm7_lacks_as_written(tmp_path: Path) -> None:
    text = render_sms(tmp_path, "“Obrigado”, {{ customer.first_name }}!", first_name="Conceição")
    assert transliterate(text, "lookalikes") == text  # UCS-2 either way: nothing to gain


def test_accents_come_off_only_where_gsm7_lacks_them(tmp_path: Path) -> None:
    source = "{{ customer.name }}: ação útil, você pôs “Á” \u2013 Ñandú, {{ order.number }}"
    text = render_sms(tmp_path, source, name="Conceição José Ángel Iñaki")
    sent = transliterate(text, "accents")
    assert sent == 'Conceicao José Angel Iñaki: acao util, voce pos "A" - Ñandu, MX-5001'


def test_the_gsm7_accented_letters_are_never_touched() -> None:
    text = f"“{GSM7_ACCENTED}”"
    assert transliterate(text, "accents") == f'"{GSM7_ACCENTED}"'


def test_off_sends_the_sms_as_written() -> None:
    assert transliterate("Tu envío \u2013 ya", "off") == "Tu envío \u2013 ya"


def test_a_letter_written_with_a_combining_accent_is_joined_into_the_gsm7_one() -> None:
    decomposed = unicodedata.normalize("NFD", "José, pequeño")
    assert transliterate(decomposed, "lookalikes") == "José, pequeño"
    assert transliterate("Jos\u0301e\u0301", "accents") == "José"  # s + acute has no GSM-7 form


def test_transliteration_brings_a_three_segment_sms_into_one() -> None:
    text = (
        "Olá, Conceição! Seu pedido MX-5001 saiu para entrega e chegará hoje à tarde. "
        "Não se preocupe: você será avisada antes. Dúvidas? Responda esta mensagem."
    )
    assert (count_segments(text).encoding, count_segments(text).segments) == ("UCS-2", 3)
    sent = count_segments(transliterate(text, "accents"))
    assert (sent.encoding, sent.segments) == ("GSM-7", 1)


def test_every_replacement_is_gsm7_for_a_character_gsm7_lacks() -> None:
    for table in (LOOKALIKES, UNACCENTED_LETTERS):
        for character, replacement in table.items():
            assert not is_gsm7_character(character), repr(character)
            assert is_gsm7(replacement), (repr(character), replacement)


def test_the_segment_vectors_agree_and_name_every_culprit() -> None:
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    for case in (c for c in cases if not c["smart_encoding"]):
        report = explain_encoding(case["text"])
        assert report.count == count_segments(case["text"])
        outside = [c for c in case["text"] if not is_gsm7_character(c)]
        assert report.culprits == tuple(dict.fromkeys(outside))
        assert bool(report.culprits) == (case["encoding"] == "UCS-2")


def test_the_policy_transliterates_lookalikes_by_default_and_refuses_an_unknown_level(
    tmp_path: Path,
) -> None:
    assert Policy().sms_transliterate == "lookalikes"
    path = tmp_path / "notifier.toml"
    path.write_text('sms_transliterate = "ascii"\n')
    with pytest.raises(PolicyError, match=r"sms_transliterate: Input should be 'off'"):
        load_policy(path)
