"""`notifier templates check` and `preview`: render every template before a customer sees it.

Each SMS is counted twice: as the template wrote it (with the characters that make it UCS-2,
and what it would take in GSM-7), and as it is sent, after the policy's `sms_transliterate`.
The segment budget applies to the SMS as sent. Every choice a message may offer
(`decide/choices`) has its button label in every locale, short enough for a WhatsApp button.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notifier.decide import choices
from notifier.decide.playbook import IMMEDIATE_KIND
from notifier.decide.policy import Policy, SmsTransliteration
from notifier.errors import TemplateError
from notifier.messages.rendering import EMAIL_FILES, Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.segments import SegmentCount, count_segments
from notifier.messages.transliteration import EncodingReport, explain_encoding, transliterate
from notifier.messages.views import template_view
from notifier.vocabulary import Kind

CHANNEL_FILES = {"sms": ("sms.txt",), "whatsapp": ("whatsapp.txt",), "email": EMAIL_FILES}
SAMPLE_TIMEZONE = "America/Mexico_City"
LABEL_LIMIT = 20  # Meta's limit for a WhatsApp quick-reply button's title


@dataclass(frozen=True)
class SmsSize:
    """An SMS of the check: as the template wrote it, and as it is sent."""

    written: EncodingReport
    sent: SegmentCount
    transliteration: SmsTransliteration


@dataclass(frozen=True)
class CheckLine:
    """One rendered template (or one problem) of the check."""

    locale: str
    kind: str
    channel: str
    sample: str
    error: str | None = None
    detail: str = ""
    sms: SmsSize | None = None

    def __str__(self) -> str:
        where = f"{self.locale}/{self.kind}/{self.channel} [{self.sample}]"
        return f"FAIL {where}: {self.error}" if self.error else f"ok   {where} {self.detail}"


def shipped_locales(templates_dir: Path) -> list[str]:
    """The locale folders present in the templates folder."""
    return sorted(p.name for p in templates_dir.iterdir() if p.is_dir() and p.name[0] != "_")


def kinds_with_templates(templates_dir: Path) -> list[str]:
    """Every kind that some locale has templates for, plus every kind the playbook sends.

    Folders whose names start with `_` hold shared pieces (layouts, macros), not kinds.
    """
    found = {p.name for p in templates_dir.glob("*/*") if p.is_dir() and p.name[0] != "_"}
    return sorted(found | {str(kind) for kind in IMMEDIATE_KIND.values()})


def check_templates(renderer: Renderer, policy: Policy) -> Iterator[CheckLine]:
    """Render kind x channel x locale x sample; yield a line for each, failing ones marked.
    SMS are measured as sent with the policy's transliteration, against its budget."""
    root = renderer.templates_dir
    for locale in shipped_locales(root):
        for kind in kinds_with_templates(root):
            for channel in CHANNEL_FILES:
                yield from _check_one(renderer, locale, kind, channel, policy)
        yield from check_labels(root, locale)


def check_labels(root: Path, locale: str) -> Iterator[CheckLine]:
    """Every choice a message may offer has its button label in the locale
    (`<locale>/_choices/<name>.txt`): one line of at most LABEL_LIMIT characters."""
    for name in (*choices.WORDS, *choices.CSAT):
        path = root / locale / "_choices" / f"{name}.txt"
        if not path.is_file():
            yield CheckLine(locale, "_choices", "label", name, f"missing _choices/{name}.txt")
            continue
        label = path.read_text(encoding="utf-8").strip()
        error = _label_problem(label)
        yield CheckLine(locale, "_choices", "label", name, error, f"{label!r}, {len(label)} chars")


def _label_problem(label: str) -> str | None:
    if not label:
        return "the label is empty"
    if "\n" in label:
        return f"the label {label!r} takes more than one line"
    if len(label) > LABEL_LIMIT:
        return f"the label {label!r} has {len(label)} characters, over {LABEL_LIMIT}"
    return None


def _missing_files(root: Path, locale: str, kind: str, channel: str) -> list[str]:
    return [f for f in CHANNEL_FILES[channel] if not (root / locale / kind / f).is_file()]


def _check_one(
    renderer: Renderer, locale: str, kind: str, channel: str, policy: Policy
) -> Iterator[CheckLine]:
    missing = _missing_files(renderer.templates_dir, locale, kind, channel)
    if missing:
        yield CheckLine(locale, kind, channel, "-", f"missing {', '.join(missing)}")
        return
    for sample, facts in sample_facts(kind).items():
        yield _render_line(renderer, locale, kind, channel, sample, facts, policy)


def _render_line(
    renderer: Renderer,
    locale: str,
    kind: str,
    channel: str,
    sample: str,
    facts: dict[str, Any],
    policy: Policy,
) -> CheckLine:
    view = template_view(facts, Kind(kind), locale, SAMPLE_TIMEZONE)
    try:
        rendered = renderer.render(kind, channel, view)
    except TemplateError as exc:
        return CheckLine(locale, kind, channel, sample, str(exc))
    if channel != "sms":
        return CheckLine(locale, kind, channel, sample, detail=f"{len(rendered.text)} chars")
    sms = measure_sms(rendered.text, policy)
    detail = describe_sms(sms)
    budget = policy.sms_max_segments
    if sms.sent.segments > budget:
        error = f"{detail}: over the budget of {budget}"
        return CheckLine(locale, kind, channel, sample, error, sms=sms)
    return CheckLine(locale, kind, channel, sample, detail=detail, sms=sms)


def measure_sms(text: str, policy: Policy) -> SmsSize:
    """An SMS as written and as sent with the policy's transliteration."""
    sent = transliterate(text, policy.sms_transliterate)
    return SmsSize(explain_encoding(text), count_segments(sent), policy.sms_transliterate)


def describe_sms(sms: SmsSize) -> str:
    """'written: 2 segment(s), UCS-2, 98 units, UCS-2 because of 'í' 'ó', 1 segment(s) in
    GSM-7; sent (lookalikes): 2 segment(s), UCS-2, 98 units'."""
    written = f"written: {_size(sms.written.count)}{_why_ucs2(sms.written)}"
    return f"{written}; sent ({sms.transliteration}): {_size(sms.sent)}"


def _size(count: SegmentCount) -> str:
    return f"{count.segments} segment(s), {count.encoding}, {count.units} units"


def _why_ucs2(report: EncodingReport) -> str:
    if not report.culprits:
        return ""
    because = f", UCS-2 because of {_quoted(report.culprits)}"
    if report.gsm7 is None:
        return f"{because}, no GSM-7 form for {_quoted(report.no_gsm7_form)}"
    return f"{because}, {report.gsm7.segments} segment(s) in GSM-7"


def _quoted(characters: tuple[str, ...]) -> str:
    """Characters a reader can tell apart, the invisible ones too: 'í' 'ó' '\\xa0'."""
    return " ".join(repr(character) for character in characters)
