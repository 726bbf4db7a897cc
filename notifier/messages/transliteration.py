"""GSM-7 look-alikes for the characters that make an SMS UCS-2 (like Twilio's Smart Encoding).

One curly quote, dash or no-break space (babel writes one in "R$ 1.299,00") turns a whole SMS
into UCS-2: 70 characters a segment instead of 160, so two or three times the cost. Before an
SMS goes out, `transliterate` gives such characters their GSM-7 forms, as far as the policy's
`sms_transliterate` allows:

* "lookalikes": typographic punctuation, spaces and invisible marks become plain GSM-7 ones
  (curly quotes and guillemets, dashes, the ellipsis, no-break and other Unicode spaces,
  bullets, fullwidth forms), and a letter written as letter + combining accent is joined into
  one (e + U+0301 is the GSM-7 é). No letter changes.
* "accents": also the accented letters GSM-7 lacks (á í ó ú â ê ô ã õ ç Á …) lose their
  accent. Those GSM-7 has (é è à ì ò ù ñ ü ö ä Ç É Ñ Ü …) stay.

Only characters outside GSM-7 are replaced, and only by GSM-7 text. The text is changed only
when the result is all GSM-7: in a text that stays UCS-2 (an emoji, an accent the mode keeps)
every character costs one unit whatever it is, so a replacement would save nothing and take
the shop's typography, or a customer's accents, away for nothing.

No library fits: unidecode is GPL, and anyascii aims at ASCII (it would take away the é and ñ
that GSM-7 has, and spell emoji out); the accents come off with the standard library's
canonical decomposition (NFD).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from notifier.decide.policy import SmsTransliteration
from notifier.messages.segments import (
    GSM7_BASIC_CHARACTERS,
    SegmentCount,
    count_segments,
    is_gsm7,
    is_gsm7_character,
    ucs2_culprits,
)

# Written as escapes: most of these look like the plain character they replace.
_DOUBLE_QUOTES: Final = (
    "\u00ab\u00bb"  # left and right double guillemets
    "\u201c\u201d\u201e\u201f"  # left, right, low-9 and reversed-9 double quotation marks
    "\u2033\u2036"  # double prime, reversed double prime
    "\u02ba\u02ee"  # modifier letters double prime and double apostrophe
    "\u275d\u275e\u301d\u301e"  # heavy double comma ornaments, CJK double prime marks
)
_SINGLE_QUOTES: Final = (
    "\u2018\u2019\u201a\u201b"  # left, right, low-9 and reversed-9 single quotation marks
    "\u2039\u203a"  # left and right single guillemets
    "\u2032\u2035"  # prime, reversed prime
    "\u02b9\u02bb\u02bc\u02bd"  # modifier letters prime, turned comma, apostrophe, reversed comma
    "\u02c8\u02ca\u02cb"  # modifier letters vertical line, acute accent, grave accent
    "\u00b4\u0060"  # acute accent, grave accent
    "\u275b\u275c"  # heavy single comma ornaments
)
_DASHES: Final = (
    "\u2010\u2011\u2012\u2013\u2014\u2015"  # hyphen, non-breaking hyphen, figure, en, em, bar
    "\u2212\ufe58\ufe63"  # minus sign, small em dash, small hyphen-minus
    "\u2022\u2023\u2043\u2219\u25e6"  # bullets: plain, triangular, hyphen, operator, white
)
_SPACES: Final = (
    "\t\u00a0\u1680\u202f\u205f\u3000"  # tab, no-break, ogham, narrow no-break, math, ideographic
    + "".join(chr(code) for code in range(0x2000, 0x200B))  # en quad ... hair space
)
_SIGNS: Final = {
    "\u2026": "...",  # horizontal ellipsis
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    "\u02c6": "^",  # modifier letter circumflex
    "\u02dc": "~",  # small tilde
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "\u00d7": "x",  # multiplication sign
}
# Invisible: a soft hyphen, a zero width space, a word joiner, a byte order mark. Not the
# zero width joiners, which hold emoji sequences together (and an emoji keeps UCS-2 anyway).
_INVISIBLE: Final = "\u00ad\u200b\u2060\ufeff"
_FULLWIDTH_ASCII: Final = range(0xFF01, 0xFF5F)  # fullwidth ! ... ~
_FULLWIDTH_OFFSET: Final = 0xFEE0


def _fullwidth_forms() -> dict[str, str]:
    forms = {chr(code): chr(code - _FULLWIDTH_OFFSET) for code in _FULLWIDTH_ASCII}
    return {wide: plain for wide, plain in forms.items() if is_gsm7_character(plain)}


LOOKALIKES: Final[dict[str, str]] = {
    **dict.fromkeys(_DOUBLE_QUOTES, '"'),
    **dict.fromkeys(_SINGLE_QUOTES, "'"),
    **dict.fromkeys(_DASHES, "-"),
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys(_INVISIBLE, ""),
    **_SIGNS,
    **_fullwidth_forms(),
}
# Letters with no canonical decomposition, written the way a keyboard without them would.
UNACCENTED_LETTERS: Final[dict[str, str]] = {
    "\u00aa": "a",  # feminine ordinal indicator (1.ª)
    "\u00ba": "o",  # masculine ordinal indicator (n.º)
    "\u0153": "oe",
    "\u0152": "OE",
    "\u0142": "l",
    "\u0141": "L",
    "\u0111": "d",
    "\u0110": "D",
    "\u0131": "i",  # dotless i
}


@dataclass(frozen=True)
class EncodingReport:
    """Why an SMS is UCS-2, and what it would take in GSM-7.

    `culprits` are the characters that force UCS-2, each once, in order of appearance (none
    for a GSM-7 text). `gsm7` counts the text with every culprit given its GSM-7 form, accents
    taken off too; it is None when some culprits have none (`no_gsm7_form`: emoji, other
    scripts).
    """

    count: SegmentCount
    culprits: tuple[str, ...]
    gsm7: SegmentCount | None
    no_gsm7_form: tuple[str, ...]


def transliterate(text: str, mode: SmsTransliteration) -> str:
    """`text` with its UCS-2 characters in GSM-7 form as far as `mode` allows, when that makes
    all of it GSM-7; otherwise `text` unchanged (see the module's docstring)."""
    if mode == "off" or is_gsm7(text):
        return text
    candidate = replace_culprits(text, accents=mode == "accents")
    return candidate if is_gsm7(candidate) else text


def replace_culprits(text: str, accents: bool) -> str:
    """Every character outside GSM-7 that has a GSM-7 form replaced by it (accented letters
    only when `accents`); the others, emoji included, left as they are."""
    composed = unicodedata.normalize("NFC", text)  # e + combining acute is the GSM-7 é
    return "".join(gsm7_form(character, accents) for character in composed)


def gsm7_form(character: str, accents: bool) -> str:
    """The character's GSM-7 form: itself when GSM-7 already has it or nothing replaces it."""
    if is_gsm7_character(character):
        return character
    if character in LOOKALIKES:
        return LOOKALIKES[character]
    unaccented = _without_accent(character) if accents else None
    return character if unaccented is None else unaccented


def explain_encoding(text: str) -> EncodingReport:
    """The segments of `text`, the characters that make it UCS-2, and its GSM-7 count."""
    replaced = replace_culprits(text, accents=True)
    left = ucs2_culprits(replaced)
    return EncodingReport(
        count=count_segments(text),
        culprits=ucs2_culprits(text),
        gsm7=None if left else count_segments(replaced),
        no_gsm7_form=left,
    )


def _without_accent(letter: str) -> str | None:
    """The letter without its accents, when that is a GSM-7 letter (ã → a, Í → I); a
    combining accent left on its own (on a letter that has no composed form) goes."""
    if unicodedata.combining(letter):
        return ""
    decomposed = unicodedata.normalize("NFD", letter)
    base, marks = decomposed[0], decomposed[1:]
    if marks and all(unicodedata.combining(mark) for mark in marks):
        return base if base in GSM7_BASIC_CHARACTERS else None
    return UNACCENTED_LETTERS.get(letter)
