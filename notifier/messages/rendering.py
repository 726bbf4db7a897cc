"""Templates: sandboxed Jinja2, locale fallback, money and dates in the customer's locale.

Templates live in `<templates_dir>/<locale>/<kind>/<file>`; `es-MX` falls back to `es`, then to
the default locale and its language. A missing variable is an error (StrictUndefined), never an
empty hole in a customer's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal
from jinja2.sandbox import SandboxedEnvironment

from notifier.config import Settings
from notifier.errors import TemplateError

TEXT_CHANNELS = ("sms", "whatsapp")
EMAIL_FILES = ("email.subject.txt", "email.txt", "email.html")


@dataclass(frozen=True)
class ShopVoice:
    """Who signs the messages: the shop's name (`NOTIFIER_SHOP_NAME`) and where an email reply
    goes (None: no email may say "just reply"). Templates see it as `shop`."""

    name: str | None = None
    reply_to: str | None = None
    country: str | None = None  # a locale without a region formats money and dates as here

    def signed_sms(self, text: str) -> str:
        """Every SMS starts with the shop's name ("Casa Lupita: …"): an unbranded text with a
        link and a payment code reads like a scam."""
        if not self.name or text.startswith(f"{self.name}:"):
            return text
        return f"{self.name}: {text}"

    def signed_subject(self, subject: str) -> str:
        """Every email subject carries the shop's name: "Pedido 1001 confirmado | Casa Lupita"."""
        if not self.name or self.name in subject:
            return subject
        return f"{subject} | {self.name}"


def renderer_for(settings: Settings) -> Renderer:
    """The renderer of these settings: their templates, default locale and shop."""
    voice = ShopVoice(settings.shop_name, settings.reply_to, settings.shop_country.upper())
    return Renderer(settings.templates_dir, settings.default_locale, voice)


@dataclass(frozen=True)
class Rendered:
    """A rendered message: `text` always; `subject` and `html` for email."""

    text: str
    subject: str | None = None
    html: str | None = None
    locale: str | None = None


def babel_locale(tag: str) -> Locale:
    """`es-MX` (BCP 47) → babel's es_MX."""
    return Locale.parse(tag, sep="-")


@lru_cache(maxsize=256)
def formatting_locale(tag: str, country: str | None) -> Locale:
    """How money and dates are written for `tag`: a bare language (`es`, as Shopify and
    Tiendanube send it) takes the shop's country (es + MX → es_MX: "$1,299.00", "3:00 p.m."),
    not the language's home (Spain: "1.299,00 MXN", "15:00"), where babel knows the pair."""
    locale = babel_locale(tag)
    if locale.territory or not country:
        return locale
    try:
        return Locale.parse(f"{locale.language}_{country}")
    except (ValueError, UnknownLocaleError):
        return locale


def locale_chain(locale: str, default_locale: str) -> list[str]:
    """The folders to try, most specific first: es-MX, es, then the default and its language."""
    chain: list[str] = []
    for tag in (locale, locale.split("-")[0], default_locale, default_locale.split("-")[0]):
        if tag not in chain:
            chain.append(tag)
    return chain


def _plain_spaces(text: str) -> str:
    """CLDR's no-break and narrow no-break spaces as plain ones: either would make a whole
    SMS UCS-2 ("R$\u00a01.299,00")."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@jinja2.pass_context
def _money(ctx: jinja2.runtime.Context, amount: Any, currency: str | None = None) -> str:
    """An amount in the customer's locale ("R$ 1.299,00"), with plain spaces only."""
    value = Decimal(str(amount))
    locale = ctx["locale_obj"]
    if not currency:
        return _plain_spaces(format_decimal_plain(value, locale))
    return _plain_spaces(format_currency(value, currency, locale=locale))


def format_decimal_plain(value: Decimal, locale: Locale) -> str:
    """A decimal amount without a currency symbol, in the locale's style."""
    return format_decimal(value, format="#,##0.00", locale=locale)


@jinja2.pass_context
def _date(ctx: jinja2.runtime.Context, value: datetime) -> str:
    return format_date(value.astimezone(ZoneInfo(ctx["timezone"])), "medium", ctx["locale_obj"])


@jinja2.pass_context
def _datetime(ctx: jinja2.runtime.Context, value: datetime) -> str:
    local = value.astimezone(ZoneInfo(ctx["timezone"]))
    return format_datetime(local, "medium", locale=ctx["locale_obj"])


@jinja2.pass_context
def _day_time(ctx: jinja2.runtime.Context, value: datetime) -> str:
    """A weekday, day, month and time, short: "mar 1 de dic 10:00 a.m." (a deadline), with
    plain spaces only."""
    local = value.astimezone(ZoneInfo(ctx["timezone"]))
    locale = ctx["locale_obj"]
    day = format_skeleton("MMMEd", local, locale=locale)
    text = f"{day} {format_time(local, 'short', locale=locale)}"
    return _plain_spaces(text)


@jinja2.pass_context
def _duration(ctx: jinja2.runtime.Context, seconds: int) -> str:
    """A span in words: "1 hora", "90 minutos" (whole hours as hours, else minutes)."""
    threshold = 1 if seconds % 3600 == 0 else 1000
    return format_timedelta(
        timedelta(seconds=seconds), threshold=threshold, locale=ctx["locale_obj"]
    )


class Renderer:
    """Renders a kind for a channel in a locale; compiled templates are cached."""

    def __init__(
        self, templates_dir: Path, default_locale: str, shop: ShopVoice | None = None
    ) -> None:
        self.templates_dir = templates_dir
        self.default_locale = default_locale
        self.shop = shop or ShopVoice()
        self._env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            # a string from the policy or the editor is text (a WhatsApp variable, an SMS reply):
            # escaping it would show "&amp;"; only .html files (and html=True) are escaped
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            cache_size=2000,
        )
        self._env.filters.update(
            money=_money, date=_date, datetime=_datetime, day_time=_day_time, duration=_duration
        )
        self._env.globals["unsubscribe_url"] = None  # a marketing email's own link, when it has one
        self._env.globals["shop"] = {"name": self.shop.name, "reply_to": self.shop.reply_to}
        self._expressions: dict[str, jinja2.Template] = {}
        self._html_env = self._env.overlay(autoescape=True)

    def resolve(self, kind: str, filename: str, locale: str) -> tuple[str, str]:
        """The template path and the locale folder it was found in, following the fallback."""
        for tag in locale_chain(locale, self.default_locale):
            candidate = f"{tag}/{kind}/{filename}"
            if (self.templates_dir / candidate).is_file():
                return candidate, tag
        raise TemplateError(f"no template {kind}/{filename} for locale {locale}")

    def render(self, kind: str, channel: str, view: dict[str, Any]) -> Rendered:
        """Render `kind` for `channel` ("sms", "whatsapp", "email") with a template view."""
        if channel in TEXT_CHANNELS:
            text, tag = self._render_file(kind, f"{channel}.txt", view)
            if channel == "sms":
                text = self.shop.signed_sms(text)
            return Rendered(text=text, locale=tag)
        if channel == "email":
            subject, tag = self._render_file(kind, "email.subject.txt", view)
            text, _ = self._render_file(kind, "email.txt", view)
            html, _ = self._render_file(kind, "email.html", view)
            subject = self.shop.signed_subject(" ".join(subject.split()))
            return Rendered(text=text, subject=subject, html=html, locale=tag)
        raise TemplateError(f"no templates for channel {channel!r}")

    def render_expression(self, source: str, view: dict[str, Any]) -> str:
        """Render a short template string from the policy (a WhatsApp template variable)."""
        try:
            template = self._expressions.get(source) or self._env.from_string(source)
            self._expressions[source] = template
            return template.render(self._formatted(view)).strip()
        except Exception as exc:  # a filter's own error (money of nothing) is the template's
            raise TemplateError(f"{source!r}: {type(exc).__name__}: {exc}") from exc

    def render_source(self, source: str, view: dict[str, Any], html: bool = False) -> str:
        """Render a candidate template text (the ops page's editor), escaped like an .html
        file when `html`; it may extend and import the shared layouts."""
        try:
            template = (self._html_env if html else self._env).from_string(source)
            text = template.render(self._formatted(view)).strip()
        except Exception as exc:  # a filter's own error (money of nothing) is the template's
            raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
        if not text:
            raise TemplateError("renders an empty message")
        return text

    def _formatted(self, view: dict[str, Any]) -> dict[str, Any]:
        """The view with money and dates written for its locale in the shop's country."""
        return view | {"locale_obj": formatting_locale(view["locale"], self.shop.country)}

    def _render_file(self, kind: str, filename: str, view: dict[str, Any]) -> tuple[str, str]:
        path, tag = self.resolve(kind, filename, view["locale"])
        try:
            template = self._env.get_template(path)
            text = template.render(self._formatted(view)).strip()
        except Exception as exc:  # a filter's own error (money of nothing) is the template's
            raise TemplateError(f"{path}: {type(exc).__name__}: {exc}") from exc
        if not text:
            raise TemplateError(f"{path}: rendered an empty message")
        return text, tag
