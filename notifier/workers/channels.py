"""The channel adapters the settings call for; the console when nothing else is configured."""

from __future__ import annotations

from typing import TextIO

from adapters.channels.base import Channel as ChannelAdapter
from adapters.channels.console import ConsoleChannel
from adapters.channels.senders import Senders
from adapters.channels.smtp import SmtpChannel
from adapters.channels.twilio import Sender, TwilioChannel
from notifier.config import Settings
from notifier.vocabulary import Channel

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"


def status_callback_url(settings: Settings) -> str | None:
    """Where Twilio should report a message's status, when we have a public URL."""
    if not settings.public_url:
        return None
    return settings.public_url.rstrip("/") + STATUS_CALLBACK_PATH


def _twilio(settings: Settings, name: str, sender: Sender) -> TwilioChannel:
    assert settings.twilio_account_sid and settings.twilio_auth_token
    return TwilioChannel.build(
        name,
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        sender,
        base_url=settings.twilio_base_url,
        timeout=settings.twilio_timeout,
        status_callback=status_callback_url(settings),
    )


def build_channels(
    settings: Settings, console: TextIO | None = None
) -> dict[Channel, ChannelAdapter]:
    """Every configured channel by name, plus the console that stands in when none is."""
    channels: dict[Channel, ChannelAdapter] = {Channel.CONSOLE: ConsoleChannel(console)}
    if settings.twilio_configured:
        sms = Sender(settings.twilio_sms_from, settings.twilio_messaging_service_sid)
        if sms.from_ or sms.messaging_service_sid:
            channels[Channel.SMS] = _twilio(settings, "sms", sms)
        if settings.twilio_whatsapp_from:
            channels[Channel.WHATSAPP] = _twilio(
                settings, "whatsapp", Sender(settings.twilio_whatsapp_from)
            )
    if settings.smtp_url is not None:
        channels[Channel.EMAIL] = SmtpChannel.from_url(
            settings.smtp_url.get_secret_value(),
            sender=settings.email_from,
            timeout=settings.smtp_timeout,
            senders=Senders(
                settings.email_from,
                settings.email_from_by_locale,
                settings.shop_name,
                settings.reply_to,
            ),
        )
    return channels
