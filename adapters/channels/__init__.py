"""Channels: how a rendered message leaves the building (Twilio, SMTP, console). They only send."""
