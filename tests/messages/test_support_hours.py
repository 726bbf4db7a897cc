"""Support's business hours (pure) and the example policy's knobs for handoffs, vouchers and
win-back."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notifier.decide.hours import answer_by
from notifier.decide.policy import PolicyError, Support, load_policy
from notifier.messages.rendering import Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.views import template_view
from notifier.vocabulary import Kind
from tests.conftest import ROOT, TEMPLATES

MX = ZoneInfo("America/Mexico_City")
HOURS = Support()


@pytest.mark.parametrize(
    ("now", "in_hours", "reply_by"),
    [(datetime(2026, 11, 10, 10, 0, tzinfo=MX), True, datetime(2026, 11, 10, 11, 0, tzinfo=MX)),
     (datetime(2026, 11, 10, 8, 59, tzinfo=MX), False, datetime(2026, 11, 10, 10, 0, tzinfo=MX)),
     (datetime(2026, 11, 10, 18, 0, tzinfo=MX), False, datetime(2026, 11, 11, 10, 0, tzinfo=MX)),
     (datetime(2026, 11, 13, 19, 0, tzinfo=MX), False, datetime(2026, 11, 16, 10, 0, tzinfo=MX)),
     (datetime(2026, 11, 14, 12, 0, tzinfo=MX), False, datetime(2026, 11, 16, 10, 0, tzinfo=MX))],
)  # fmt: skip
def test_a_person_answers_within_the_response_time_or_after_the_next_opening(
    now: datetime, in_hours: bool, reply_by: datetime
) -> None:
    answer = answer_by(now, HOURS)
    assert (answer.in_hours, answer.reply_by) == (in_hours, reply_by)
    assert answer.response_time == timedelta(hours=1)


def test_business_hours_are_counted_in_supports_time_zone_not_the_customers() -> None:
    sao_paulo_morning = datetime(2026, 11, 10, 10, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert not answer_by(sao_paulo_morning, HOURS).in_hours  # 07:30 in Mexico City


def test_support_hours_that_close_before_they_open_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "notifier.toml"
    path.write_text('[support]\nopens = "18:00"\ncloses = "09:00"\n')
    with pytest.raises(PolicyError, match=r"support\.closes"):
        load_policy(path)


@pytest.mark.parametrize(
    "kind", [Kind.PAYMENT_PENDING, Kind.PAYMENT_REMINDER, Kind.HANDOFF_ACK, Kind.WINBACK]
)
def test_the_example_whatsapp_templates_of_the_new_kinds_fill_every_variable(kind: Kind) -> None:
    policy = load_policy(ROOT / "notifier.example.toml")
    renderer = Renderer(TEMPLATES, "es-MX")
    template = policy.whatsapp_templates[kind]
    assert set(template.content_sid) == {"es", "pt-BR", "en"}
    for facts in sample_facts(kind).values():
        view = template_view(facts, kind, "es-MX", "America/Mexico_City")
        values = [renderer.render_expression(source, view) for source in template.variables]
        assert values[0] == (facts["customer"]["first_name"] or "")
