"""The links a message carries, and the message with its links shortened.

With short links on, every http(s) URL among a message's facts (a tracking page, a cart, a
review form) and each choice's page goes out in an SMS or a WhatsApp message as its short link
(`{public_url}/r/{code}`, made by the pipeline before the message is composed). An email keeps
its links as written: it costs nothing by length, and a mail client shows where a link goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeGuard, TypeVar

from notifier.vocabulary import Channel

SHORTENED_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})
T = TypeVar("T")


def is_link(value: object) -> TypeGuard[str]:
    """True for an absolute http(s) URL: nothing else is shortened."""
    return isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value


def links_in(context: Mapping[str, Any], pages: Iterable[str | None] = ()) -> list[str]:
    """Every link of the facts and of `pages` (the choices' pages), each once, in the order
    found."""
    found = [value for value in [*_strings(context), *pages] if is_link(value)]
    return list(dict.fromkeys(found))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def shortened(value: T, short_urls: Mapping[str, str]) -> T:
    """The value with each link that has a short one replaced by it (the rest as it was)."""
    if isinstance(value, str):
        return short_urls.get(value, value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: shortened(item, short_urls) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [shortened(item, short_urls) for item in value]  # type: ignore[return-value]
    return value
