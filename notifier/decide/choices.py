"""The choices a message offers and what a customer's answer means (pure; CONTRACT §6).

A message that offers choices stores their names, in order, in its snapshot (`choices`): the
order is the numbering of an SMS ("1", "2", "3") and of the WhatsApp buttons. A reply counts for
the customer's latest such message (within `ANSWER_WINDOW`): its number, or one of the words a
customer writes for it ("cancelar", "esperar", "sí"). A choice word with no open choice is
ambiguous: the customer gets a short question, never a silent action.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from notifier.vocabulary import Kind

ANSWER_WINDOW = timedelta(days=7)

WAIT, CANCEL, PERSON = "wait", "cancel", "person"
ALTERNATIVE, REFUND, REPLACEMENT = "alternative", "refund", "replacement"
SOLVED_YES, SOLVED_NO = "solved_yes", "solved_no"
CSAT = tuple(f"csat_{score}" for score in range(1, 6))
LOW_SCORE = 3  # a score this low or lower opens a priority handoff

# The words a customer writes for a choice, upper case without accents (es, pt, en).
WORDS: Mapping[str, frozenset[str]] = {
    WAIT: frozenset({"ESPERAR", "ESPERO", "ESPERA", "AGUARDAR", "AGUARDO", "WAIT"}),
    CANCEL: frozenset({"CANCELAR", "CANCELA", "CANCELO", "CANCEL"}),
    PERSON: frozenset(
        {"PERSONA", "PESSOA", "PERSON", "HUMANO", "HUMAN", "AGENTE", "AGENT", "ASESOR", "ATENDENTE"}
    ),
    ALTERNATIVE: frozenset({"ALTERNATIVA", "ALTERNATIVE", "CAMBIO", "TROCA"}),
    REFUND: frozenset({"REEMBOLSO", "REFUND", "DEVOLUCION", "DEVOLUCAO"}),
    REPLACEMENT: frozenset({"OTRO", "REPOSICION", "OUTRO", "REENVIO", "REPLACEMENT"}),
    SOLVED_YES: frozenset({"SI", "SIM", "YES", "RESUELTO", "RESOLVIDO", "SOLVED"}),
    SOLVED_NO: frozenset({"NO", "NAO", "NOT"}),
}
# Words that ask for an action on an order: with no open choice they are a question to ask back.
ACTION_WORDS = frozenset(WORDS[CANCEL] | WORDS[REFUND] | WORDS[WAIT] | WORDS[REPLACEMENT])


def score_of(choice: str) -> int | None:
    """A satisfaction score (`csat_4` → 4), or None for any other choice."""
    return CSAT.index(choice) + 1 if choice in CSAT else None


def is_choice(choice: str) -> bool:
    """Whether a name is one of the choices any message may offer."""
    return choice in WORDS or choice in CSAT


def offered(kind: Kind, context: Mapping[str, Any]) -> list[str]:
    """The choices a message of this kind offers, in order, from its snapshot."""
    if kind is Kind.DELAY_NOTICE:
        return _delay_choices(context)
    if kind is Kind.OUT_OF_STOCK:
        missing = context.get("out_of_stock") or {}
        alternatives = missing.get("has_alternatives") or any(
            item.get("alternatives") for item in context.get("affected_items") or []
        )
        return [*([ALTERNATIVE] if alternatives else []), REFUND, PERSON]
    if kind is Kind.ORDER_DELIVERED:
        return list(CSAT)
    if kind is Kind.HANDOFF_FOLLOWUP:
        return [SOLVED_YES, SOLVED_NO]
    return []


def _delay_choices(context: Mapping[str, Any]) -> list[str]:
    """A lost or damaged package: another one or the refund. A late one: wait (with the
    compensation), cancel with a full refund (unless the policy's tier withholds it), a person."""
    delay = context.get("delay") or {}
    if delay.get("reason") == "exception" and delay.get("exception_reason") in ("lost", "damaged"):
        return [REPLACEMENT, REFUND, PERSON]
    offer = context.get("offer")
    cancel = offer is None or offer.get("cancel_offered", True)
    return [WAIT, *([CANCEL] if cancel else []), PERSON]


def normalise(text: str) -> str:
    """Upper case, no accents, no surrounding punctuation: `¡Sí!` → `SI`."""
    decomposed = unicodedata.normalize("NFKD", text.strip().upper())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.strip(" .!¡?¿,;:'\"()")


def answer_of(text: str, choices: Sequence[str]) -> str | None:
    """The offered choice a reply names: its number (`2`, `2.`), or a word for it; None when
    the reply is anything else."""
    word = normalise(text)
    if word.isdigit():
        number = int(word)
        return choices[number - 1] if 1 <= number <= len(choices) else None
    for choice in choices:
        if word in WORDS.get(choice, frozenset()):
            return choice
    return None


def first_answered(text: str, offers: Sequence[Sequence[str]]) -> tuple[int, str] | None:
    """Which of the open offers (newest first) a reply answers, and with which choice: a
    number answers the newest; a word, the newest offer it names a choice of."""
    for index, offered_choices in enumerate(offers):
        choice = answer_of(text, offered_choices)
        if choice is not None:
            return index, choice
        if normalise(text).isdigit():
            return None
    return None


def is_action_word(text: str) -> bool:
    """Whether a whole message is a word asking for an action (CANCELAR, REEMBOLSO)."""
    return normalise(text) in ACTION_WORDS
