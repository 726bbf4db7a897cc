"""Editing a template safely: a candidate is saved only when it renders for every sample, and the
previous version is kept under `_history/`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notifier.decide.policy import Policy, SmsTransliteration
from notifier.errors import TemplateError
from notifier.messages.rendering import Renderer
from notifier.messages.samples import sample_facts
from notifier.messages.segments import count_segments
from notifier.messages.transliteration import transliterate
from notifier.messages.views import template_view
from notifier.vocabulary import Kind

FILES = ("sms.txt", "whatsapp.txt", "email.subject.txt", "email.txt", "email.html")
SAFE_PART = re.compile(r"^[A-Za-z0-9_-]+$")
HISTORY = "_history"


@dataclass(frozen=True)
class Preview:
    """A rendered candidate: the text, and for SMS its segments and encoding as sent (after
    the policy's transliteration)."""

    text: str
    segments: int | None = None
    encoding: str | None = None


def template_path(root: Path, locale: str, kind: str, filename: str) -> Path:
    """The file of a template; refuses anything that is not a known kind, locale and file."""
    Kind(kind)  # raises ValueError for an unknown kind
    if not SAFE_PART.match(locale) or filename not in FILES:
        raise ValueError(f"no such template: {locale}/{kind}/{filename}")
    return root / locale / kind / filename


def preview(
    renderer: Renderer,
    locale: str,
    kind: str,
    filename: str,
    source: str,
    facts: dict[str, Any],
    transliteration: SmsTransliteration,
) -> Preview:
    """Render a candidate against one set of facts; raises TemplateError naming the problem."""
    view = template_view(facts, Kind(kind), locale, "America/Mexico_City")
    text = renderer.render_source(source, view, html=filename.endswith(".html"))
    if filename != "sms.txt":
        return Preview(text)
    text = renderer.shop.signed_sms(text)
    count = count_segments(transliterate(text, transliteration))
    return Preview(text, count.segments, count.encoding)


def check_candidate(
    renderer: Renderer, locale: str, kind: str, filename: str, source: str, policy: Policy
) -> list[str]:
    """Every problem the candidate has against every sample (empty when it may be saved);
    an SMS is held to the policy's budget as sent."""
    problems = []
    budget, transliteration = policy.sms_max_segments, policy.sms_transliterate
    for name, facts in sample_facts(kind).items():
        try:
            shown = preview(renderer, locale, kind, filename, source, facts, transliteration)
        except TemplateError as exc:
            problems.append(f"sample {name}: {exc}")
            continue
        if shown.segments is not None and shown.segments > budget:
            problems.append(f"sample {name}: {shown.segments} SMS segments, over {budget}")
    return problems


def save(root: Path, locale: str, kind: str, filename: str, source: str) -> Path | None:
    """Write the template, keeping the previous version; the kept copy's path, if any."""
    target = template_path(root, locale, kind, filename)
    kept = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept = root / HISTORY / locale / kind / f"{filename}.{stamp}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Workers read the same folder while ops save: they see the old file or the new, never half.
    partial = target.with_name(f".{target.name}.saving")
    partial.write_text(source, encoding="utf-8")
    os.replace(partial, target)
    return kept
