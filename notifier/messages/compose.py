"""Turn a planned message and its route into what a channel sends.

WhatsApp outside the customer's 24-hour window may only carry an approved template (ContentSid
and its variables, from the policy); without one for the kind and locale, WhatsApp cannot carry
the message and the next channel is tried. A message that offers choices goes as its template
inside the window too, when one exists for the customer's locale: its quick-reply buttons carry
the signed ids of the choices (`buttons.<choice>` among the template's variables).

An SMS body is brought into GSM-7 as far as the policy's `sms_transliterate` allows (curly
quotes, no-break spaces, and the accents GSM-7 lacks when the shop chose so), so that it takes
the segments of a GSM-7 text; WhatsApp and email carry the text as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from adapters.channels.base import OutboundMessage
from notifier.decide.policy import Policy, WhatsAppTemplate
from notifier.decide.routing import Route
from notifier.errors import TemplateError
from notifier.messages.rendering import Rendered, Renderer, locale_chain
from notifier.messages.segments import count_segments
from notifier.messages.short_urls import SHORTENED_CHANNELS, shortened
from notifier.messages.transliteration import transliterate
from notifier.messages.views import template_view
from notifier.vocabulary import Channel, Kind

WhatsAppTemplates = Mapping[Kind, WhatsAppTemplate]


@dataclass(frozen=True)
class OfferedChoice:
    """One choice as the message offers it: its number in an SMS, its WhatsApp button's
    signed id, and the link of an email (when we have a public URL)."""

    name: str
    number: int
    button_id: str
    url: str | None


@dataclass(frozen=True)
class Draft:
    """What the delivery knows of the message when it composes it."""

    notification_id: int
    kind: Kind
    context: dict[str, Any]
    locale: str
    timezone: str
    whatsapp_window_open: bool
    unsubscribe_url: str | None = None
    choices: tuple[OfferedChoice, ...] = ()
    # Each link's short one ({public_url}/r/{code}), for an SMS or a WhatsApp message.
    short_urls: Mapping[str, str] = field(default_factory=dict)


def compose(renderer: Renderer, policy: Policy, draft: Draft, route: Route) -> OutboundMessage:
    """The message for this route, rendered with the policy's approved WhatsApp templates
    where only those may go and its SMS transliteration; raises TemplateError when it cannot
    be."""
    shorten = bool(draft.short_urls) and route.template_channel in SHORTENED_CHANNELS
    view = _view(draft, route, shorten)
    rendered = renderer.render(draft.kind, route.template_channel, view)
    body = _body(rendered, route, policy)
    if shorten and route.template_channel is Channel.SMS and _any_longer(draft.short_urls):
        body = _fewest_segments(body, renderer, policy, draft, route)
    content_sid, variables = None, None
    if route.channel is Channel.WHATSAPP and _needs_template(policy, draft):
        templates = policy.whatsapp_templates
        content_sid, variables = _approved_template(renderer, templates, draft, view)
    return OutboundMessage(
        notification_id=draft.notification_id,
        kind=draft.kind,
        channel=route.template_channel,
        to=route.recipient,
        body=body,
        subject=rendered.subject,
        html=rendered.html,
        marketing=draft.kind.is_marketing,
        unsubscribe_url=draft.unsubscribe_url if route.template_channel is Channel.EMAIL else None,
        content_sid=content_sid,
        content_variables=variables,
        locale=draft.locale,
    )


def _view(draft: Draft, route: Route, shorten: bool) -> dict[str, Any]:
    """What the templates see: the facts (with their short links when `shorten`), an email's
    unsubscribe link, the choices offered."""
    context, choices = draft.context, draft.choices
    if shorten:
        context = shortened(context, draft.short_urls)
        choices = tuple(
            replace(choice, url=draft.short_urls.get(choice.url, choice.url)) if choice.url
            else choice
            for choice in choices
        )  # fmt: skip
    view = template_view(context, draft.kind, draft.locale, draft.timezone)
    if route.template_channel is Channel.EMAIL and draft.unsubscribe_url:
        view["unsubscribe_url"] = draft.unsubscribe_url
    if choices:
        view["choices"] = [asdict(choice) for choice in choices]
        view["buttons"] = {choice.name: choice.button_id for choice in choices}
    return view


def _any_longer(short_urls: Mapping[str, str]) -> bool:
    """True when some short link is longer than its link: only then can shortening cost a
    segment (both are ASCII), and only then is the SMS rendered again with its links as
    written."""
    return any(len(short) > len(link) for link, short in short_urls.items())


def _fewest_segments(
    short: str, renderer: Renderer, policy: Policy, draft: Draft, route: Route
) -> str:
    """The SMS with its short links, unless its links as written take fewer segments (a shop's
    public URL longer than its own links): a click counted is not worth a segment paid."""
    rendered = renderer.render(draft.kind, route.template_channel, _view(draft, route, False))
    as_written = _body(rendered, route, policy)
    if count_segments(as_written).segments < count_segments(short).segments:
        return as_written
    return short


def _needs_template(policy: Policy, draft: Draft) -> bool:
    """Outside the 24-hour window only an approved template may go; inside it, a message that
    offers choices still goes as its template when there is one, for the buttons."""
    if not draft.whatsapp_window_open:
        return True
    template = policy.whatsapp_templates.get(draft.kind)
    return bool(draft.choices and template and draft.locale in template.content_sid)


def _body(rendered: Rendered, route: Route, policy: Policy) -> str:
    """The text as sent: an SMS (or the console standing in for one) transliterated."""
    if route.template_channel is Channel.SMS:
        return transliterate(rendered.text, policy.sms_transliterate)
    return rendered.text


def _approved_template(
    renderer: Renderer, templates: WhatsAppTemplates, draft: Draft, view: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    template = templates.get(draft.kind)
    sids = template.content_sid if template else {}
    # The customer's own language only: a template in the shop's default language would reach
    # a Brazilian customer in Spanish; better the next channel, in Portuguese.
    for tag in locale_chain(draft.locale, draft.locale):
        if template and tag in sids:
            variables = {
                str(number): renderer.render_expression(source, view)
                for number, source in enumerate(template.variables, start=1)
            }
            return sids[tag], variables
    raise TemplateError(
        f"no approved WhatsApp template for {draft.kind} in {draft.locale} "
        "(outside the 24-hour window only templates may be sent)"
    )
