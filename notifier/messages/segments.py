"""Exact SMS segment counting for GSM-7 and UCS-2 messages.

Carriers bill per segment, so a notification that spills from one SMS into two costs twice
as much. This module answers "how many segments will this text take?" exactly:

* A text made only of the GSM 03.38 default alphabet and its extension table is sent as
  GSM-7. Basic characters cost one septet; extension characters (``| ^ € { } [ ] ~ \\``
  and form feed) are sent as an escape pair and cost two.
* One character outside that set turns the whole message into UCS-2, where every character
  costs its UTF-16 code units (two for a surrogate pair such as most emoji).
* One message holds 160 septets or 70 UTF-16 units. A longer text is split into parts of
  153 septets or 67 units, the rest being taken by the concatenation header.
* An escape pair or a surrogate pair is never split across parts, so a part can end one unit
  short. That is why parts are packed character by character instead of dividing the total.

The module uses only the standard library so it can be used anywhere (templates, workers,
the API) without side effects.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The GSM 03.38 default alphabet in code order, 16 positions per line. Position 0x1B is the
# escape to the extension table, not a character of its own, so it is left out of the set.
_GSM7_DEFAULT_ALPHABET: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
_ESCAPE: Final = "\x1b"
GSM7_BASIC_CHARACTERS: Final = frozenset(_GSM7_DEFAULT_ALPHABET) - {_ESCAPE}
GSM7_EXTENSION_CHARACTERS: Final = frozenset("\f^{}\\[~]|€")
_GSM7_CHARACTERS: Final = GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS

_LAST_BMP_CODE_POINT: Final = 0xFFFF


@dataclass(frozen=True)
class _PartCapacity:
    """How many units fit in a lone message and in each part of a split one."""

    single: int
    multipart: int


_CAPACITY: Final[dict[Encoding, _PartCapacity]] = {
    "GSM-7": _PartCapacity(single=160, multipart=153),
    "UCS-2": _PartCapacity(single=70, multipart=67),
}


@dataclass(frozen=True)
class SegmentCount:
    """The result of :func:`count_segments`.

    ``units`` is the total in GSM-7 septets (extension characters count two) or in UTF-16
    code units for UCS-2. ``per_segment`` is the capacity per part actually in use: 160 or 70
    when the text fits in one message, 153 or 67 once it is split.
    """

    encoding: Encoding
    segments: int
    units: int
    per_segment: int


def is_gsm7(text: str) -> bool:
    """Tell whether every character of ``text`` can be sent in the GSM-7 alphabet."""
    return _GSM7_CHARACTERS.issuperset(text)


def is_gsm7_character(character: str) -> bool:
    """Tell whether one character is in the GSM-7 default alphabet or its extension table."""
    return character in _GSM7_CHARACTERS


def count_segments(text: str) -> SegmentCount:
    """Count the SMS segments ``text`` takes, packing characters into parts as a carrier does.

    Empty text counts as one segment of zero units in GSM-7: an SMS with no body is still one
    message on the wire (the test vectors from split-sms assert the same).
    """
    encoding = _encoding_for(text)
    parts = _pack_into_parts(_character_costs(text, encoding), _CAPACITY[encoding])
    return SegmentCount(
        encoding=encoding,
        segments=len(parts),
        units=sum(parts),
        per_segment=_capacity_in_use(encoding, len(parts)),
    )


def ucs2_culprits(text: str) -> tuple[str, ...]:
    """The characters that force ``text`` into UCS-2: each one once, in order of first
    appearance. Empty for a GSM-7 text."""
    return tuple(dict.fromkeys(c for c in text if not is_gsm7_character(c)))


def part_units(text: str) -> tuple[int, ...]:
    """Return the units (septets or UTF-16 units) used by each part of ``text``, in order.

    Empty text gives ``(0,)``: one empty part, matching :func:`count_segments`.
    """
    encoding = _encoding_for(text)
    return tuple(_pack_into_parts(_character_costs(text, encoding), _CAPACITY[encoding]))


def _encoding_for(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _gsm7_septets(character: str) -> int:
    return 2 if character in GSM7_EXTENSION_CHARACTERS else 1


def _utf16_units(character: str) -> int:
    return 2 if ord(character) > _LAST_BMP_CODE_POINT else 1


def _character_costs(text: str, encoding: Encoding) -> list[int]:
    """Units each character needs; a character's units always travel in the same part."""
    cost_of = _gsm7_septets if encoding == "GSM-7" else _utf16_units
    return [cost_of(character) for character in text]


def _pack_into_parts(costs: Sequence[int], capacity: _PartCapacity) -> list[int]:
    """Fill parts greedily, starting a new part when the next character would not fit."""
    total = sum(costs)
    if total <= capacity.single:
        return [total]
    parts: list[int] = []
    used = 0
    for cost in costs:
        if used + cost > capacity.multipart:
            parts.append(used)
            used = 0
        used += cost
    parts.append(used)
    return parts


def _capacity_in_use(encoding: Encoding, segments: int) -> int:
    capacity = _CAPACITY[encoding]
    return capacity.single if segments == 1 else capacity.multipart
