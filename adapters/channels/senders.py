"""Who an email is from and where its replies go: a sender per locale, the shop's name shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr


def checked_address(sender: str, what: str = "email sender") -> str:
    """The address of `Name <address>` (or a bare address); ValueError when it has none."""
    address = parseaddr(sender)[1]
    if "@" not in address or address.endswith("@") or address.startswith("@"):
        raise ValueError(f"{what} must be an address like shop@example.com")
    return address


@dataclass(frozen=True)
class Senders:
    """The default sender, the senders per locale (`pt-BR`, or a language: `pt`), the name
    shown when a sender gives none (the shop's), and the Reply-To (a person's inbox) if any."""

    default: str
    by_locale: Mapping[str, str] = field(default_factory=dict)
    display_name: str | None = None
    reply_to: str | None = None

    def __post_init__(self) -> None:
        checked_address(self.default)
        for locale, sender in self.by_locale.items():
            checked_address(sender, f"email sender for {locale}")
        if self.reply_to is not None:
            checked_address(self.reply_to, "email Reply-To")

    def sender_for(self, locale: str | None) -> str:
        """`From` for a customer's locale: its own sender, its language's, else the default;
        with the shop's name shown when the sender names nobody."""
        chosen = self.default
        for tag in (locale, (locale or "").split("-")[0]):
            if tag and tag in self.by_locale:
                chosen = self.by_locale[tag]
                break
        name, address = parseaddr(chosen)
        return formataddr((name or self.display_name or "", address))
