"""`notifier templates check` and `preview`: render every template before a customer sees it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notifier.decide.playbook import IMMEDIATE_KIND
from notifier.errors import TemplateError
from notifier.messages.rendering import EMAIL_FILES, Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.views import template_view
from notifier.vocabulary import Kind

CHANNEL_FILES = {"sms": ("sms.txt",), "whatsapp": ("whatsapp.txt",), "email": EMAIL_FILES}
SAMPLE_TIMEZONE = "America/Mexico_City"


@dataclass(frozen=True)
class CheckLine:
    """One rendered template (or one problem) of the check."""

    locale: str
    kind: str
    channel: str
    sample: str
    error: str | None = None
    detail: str = ""

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


def check_templates(renderer: Renderer, sms_max_segments: int) -> Iterator[CheckLine]:
    """Render kind x channel x locale x sample; yield a line for each, failing ones marked."""
    root = renderer.templates_dir
    for locale in shipped_locales(root):
        for kind in kinds_with_templates(root):
            for channel in CHANNEL_FILES:
                yield from _check_one(renderer, locale, kind, channel, sms_max_segments)


def _missing_files(root: Path, locale: str, kind: str, channel: str) -> list[str]:
    return [f for f in CHANNEL_FILES[channel] if not (root / locale / kind / f).is_file()]


def _check_one(
    renderer: Renderer, locale: str, kind: str, channel: str, budget: int
) -> Iterator[CheckLine]:
    missing = _missing_files(renderer.templates_dir, locale, kind, channel)
    if missing:
        yield CheckLine(locale, kind, channel, "-", f"missing {', '.join(missing)}")
        return
    for sample, facts in sample_facts(kind).items():
        yield _render_line(renderer, locale, kind, channel, sample, facts, budget)


def _render_line(
    renderer: Renderer,
    locale: str,
    kind: str,
    channel: str,
    sample: str,
    facts: dict[str, Any],
    budget: int,
) -> CheckLine:
    view = template_view(facts, Kind(kind), locale, SAMPLE_TIMEZONE)
    try:
        rendered = renderer.render(kind, channel, view)
    except TemplateError as exc:
        return CheckLine(locale, kind, channel, sample, str(exc))
    if channel != "sms":
        return CheckLine(locale, kind, channel, sample, detail=f"{len(rendered.text)} chars")
    count = count_segments(rendered.text)
    detail = f"{count.segments} segment(s), {count.encoding}, {count.units} units"
    if count.segments > budget:
        return CheckLine(locale, kind, channel, sample, f"{detail}: over the budget of {budget}")
    return CheckLine(locale, kind, channel, sample, detail=detail)
