"""What a customer's own words mean: STOP and START in English, Spanish and Portuguese (pure)."""

from __future__ import annotations

import enum
import unicodedata


class Keyword(enum.StrEnum):
    """The opt-out keywords a carrier and WhatsApp users expect us to honour."""

    STOP = "stop"
    START = "start"
    HELP = "help"


# CONTRACT §6: CANCEL and CANCELAR are never an opt-out but a request about the order (a person
# hears it); a bare "yes" answers a question, it does not resubscribe.
KEYWORDS = {
    Keyword.STOP: {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "BAJA", "PARAR", "SAIR"},
    Keyword.START: {"START", "ALTA", "VOLTAR"},
    Keyword.HELP: {"HELP", "INFO", "AYUDA", "AJUDA"},
}


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().upper())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.strip(" .!¡?¿")


def keyword_of(text: str) -> Keyword | None:
    """The keyword a message is, when the whole message is one (`Baja.`, `stop`); else None."""
    word = _normalise(text)
    for keyword, words in KEYWORDS.items():
        if word in words:
            return keyword
    return None


def channel_of_sender(sender: str) -> tuple[str, str]:
    """Twilio's `From` (`whatsapp:+52…` or `+52…`) → (channel, E.164 number)."""
    if sender.startswith("whatsapp:"):
        return "whatsapp", sender.removeprefix("whatsapp:")
    return "sms", sender
