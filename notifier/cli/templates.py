"""`notifier templates check` and `notifier templates preview`."""

from __future__ import annotations

import argparse
from pathlib import Path

from notifier.config import Settings
from notifier.contract.events import parse_event
from notifier.decide.policy import load_policy
from notifier.messages.check import SAMPLE_TIMEZONE, CheckLine, check_templates
from notifier.messages.rendering import renderer_for
from notifier.messages.samples import facts_from_event, sample_facts
from notifier.messages.views import template_view
from notifier.vocabulary import Kind

SAMPLE_SHOP_NAME = "Casa Lupita"  # a shop name of usual length: SMS are counted with one


def check(settings: Settings) -> int:
    """Render everything; print a line each and a summary; 1 if anything failed."""
    if not settings.shop_name:
        print(
            f"warning: NOTIFIER_SHOP_NAME is not set: SMS go out unsigned and emails unnamed "
            f"(checked as {SAMPLE_SHOP_NAME!r})\n"
        )
        settings = settings.model_copy(update={"shop_name": SAMPLE_SHOP_NAME})
    renderer = renderer_for(settings)
    policy = load_policy(settings.policy_file)
    lines = list(check_templates(renderer, policy))
    failed = [line for line in lines if line.error]
    for line in lines:
        print(line)
    print(f"\n{len(lines)} renders, {len(failed)} failed (SMS budget: "
          f"{policy.sms_max_segments} segments as sent)")  # fmt: skip
    print(_ucs2_summary(lines, policy.sms_transliterate))
    return 1 if failed else 0


def _ucs2_summary(lines: list[CheckLine], transliteration: str) -> str:
    """How many SMS are UCS-2 as written and as sent, the costly ones."""
    sizes = [line.sms for line in lines if line.sms]
    written = sum(size.written.count.encoding == "UCS-2" for size in sizes)
    sent = sum(size.sent.encoding == "UCS-2" for size in sizes)
    return (
        f"UCS-2 SMS: {written} of {len(sizes)} as written, {sent} as sent "
        f'(sms_transliterate = "{transliteration}")'
    )


def preview(settings: Settings, args: argparse.Namespace) -> int:
    """Print one kind rendered for a channel and locale, against a sample or an event file."""
    kind = Kind(args.kind)
    locale = args.locale or settings.default_locale
    facts = _facts(args.event, kind)
    view = template_view(facts, kind, locale, settings.default_timezone or SAMPLE_TIMEZONE)
    rendered = renderer_for(settings).render(kind, args.channel, view)
    if rendered.subject:
        print(f"Subject: {rendered.subject}\n")
    print(rendered.text)
    if rendered.html:
        print(f"\n--- HTML ---\n{rendered.html}")
    return 0


def _facts(event_file: Path | None, kind: Kind) -> dict[str, object]:
    if event_file is None:
        return sample_facts(kind)["full"]
    return facts_from_event(parse_event(event_file.read_bytes()))
