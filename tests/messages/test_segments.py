"""Tests for notifier.messages.segments against vectors from public SMS segment counters."""

import json
from collections import Counter
from pathlib import Path
from typing import Literal, NotRequired, TypedDict, cast

import pytest

from notifier.messages.segments import SegmentCount, count_segments, is_gsm7, part_units

VECTORS_PATH = Path(__file__).parents[1] / "data" / "sms_segments.json"


class SegmentCase(TypedDict):
    text: str
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int
    smart_encoding: bool
    source: str
    units: NotRequired[int]
    per_segment: NotRequired[list[int]]


def load_cases() -> list[SegmentCase]:
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    cases = cast(list[SegmentCase], document["cases"])
    return [case for case in cases if not case["smart_encoding"]]


def readable_ids(cases: list[SegmentCase]) -> list[str]:
    """Name each case 'owner/file.ext:line' after the last source it lists, made unique."""
    names = []
    for case in cases:
        source = case["source"].split(";")[-1].strip()
        owner = source.split("/")[0]
        file_and_line = source.split()[-1].rsplit("/", 1)[-1]
        names.append(f"{owner}/{file_and_line}")
    totals = Counter(names)
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(f"{name}#{seen[name]}" if totals[name] > 1 else name)
    return unique


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=readable_ids(CASES))
def test_vector(case: SegmentCase) -> None:
    result = count_segments(case["text"])
    assert result.encoding == case["encoding"]
    assert result.segments == case["segments"]
    if "units" in case:
        assert result.units == case["units"]
    if "per_segment" in case:
        assert list(part_units(case["text"])) == case["per_segment"]
        assert max(case["per_segment"]) <= result.per_segment


def test_spanish_accent_makes_message_ucs2() -> None:
    assert count_segments("Tu pedido llegara manana").encoding == "GSM-7"
    assert count_segments("Tu pedido llegará mañana").encoding == "UCS-2"


def test_lowercase_c_cedilla_is_not_gsm7_but_capital_is() -> None:
    assert not is_gsm7("ç")
    assert is_gsm7("Ç")
    assert count_segments("Obrigado, faça o pedido").encoding == "UCS-2"
    assert count_segments("OBRIGADO, FAÇA O PEDIDO").encoding == "GSM-7"


def test_extension_pair_is_never_split_across_parts() -> None:
    # 306 septets would fit in two parts of 153 if the euro's escape pair could be cut.
    text = "a" * 152 + "€" * 77
    assert count_segments(text) == SegmentCount("GSM-7", segments=3, units=306, per_segment=153)
    assert part_units(text) == (152, 152, 2)


def test_emoji_surrogate_pair_is_never_split() -> None:
    # 134 UTF-16 units would fit in two parts of 67 if a surrogate pair could be cut.
    text = "😀" * 67
    assert count_segments(text) == SegmentCount("UCS-2", segments=3, units=134, per_segment=67)
    assert part_units(text) == (66, 66, 2)


def test_empty_text_is_one_empty_gsm7_segment() -> None:
    assert count_segments("") == SegmentCount("GSM-7", segments=1, units=0, per_segment=160)


def test_text_that_fits_one_message_uses_single_message_capacity() -> None:
    assert count_segments("x" * 160).per_segment == 160
    assert count_segments("x" * 161).per_segment == 153
    assert count_segments("ç" * 70).per_segment == 70
    assert count_segments("ç" * 71).per_segment == 67
