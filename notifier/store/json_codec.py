"""JSON as the database gets and gives it: orjson, at a tenth of the standard library's CPU
(the JSON columns of every batch, and the rows sent as one JSON parameter), with nothing lost.

orjson writes no integer beyond 64 bits and reads one as a float: a document holding such a
number (a shop's own field, stored as received) is written and read by the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

# A run of 20 digits may be an integer beyond 64 bits (2**64 has 20): read by the stdlib.
_LONG_DIGITS = re.compile(r"\d{20}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{20}")


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`value` as JSON text; `default`, when given, turns what JSON has no type for into what
    it has, datetimes included (orjson would write them its own way)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_PASSTHROUGH_DATETIME if default else 0)
    try:
        return orjson.dumps(value, default=default, option=option).decode()
    except orjson.JSONEncodeError as exc:
        if exc.__cause__ is not None:  # what `default` refused, in its own words
            raise exc.__cause__ from None
        if "64-bit" not in str(exc):
            raise
        return json.dumps(value, default=default, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """The value of JSON text, every integer exact."""
    long = _LONG_DIGITS.search(text) if isinstance(text, str) else _LONG_DIGITS_BYTES.search(text)
    return json.loads(text) if long else orjson.loads(text)
