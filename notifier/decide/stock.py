"""An item out of stock (pure): the facts `out_of_stock` is written from, so the copy can say
what the missing items are worth, whether the rest of the order still ships, and what happens,
by when, if the customer does not answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from notifier.contract.events import EventIn, Item
from notifier.decide.policy import OutOfStock


def refund_for(items: Sequence[Item]) -> Decimal | None:
    """What the missing items cost (unit price times quantity); None when a price is unknown."""
    if any(item.unit_price is None for item in items):
        return None
    return sum((item.unit_price * item.quantity for item in items if item.unit_price), Decimal(0))


def _key(item: dict[str, Any]) -> str:
    return str(item.get("sku") or item.get("name") or "")


def rest_ships(ordered: list[dict[str, Any]] | None, missing: Sequence[Item]) -> bool | None:
    """Whether something of the order is left to ship once the missing items are taken out;
    None when the order's items are unknown."""
    if not ordered:
        return None
    left = Counter({_key(i): int(i.get("quantity", 1)) for i in ordered})
    left.subtract(Counter({_key(i.model_dump()): i.quantity for i in missing}))
    return any(quantity > 0 for quantity in left.values())


def facts(event: EventIn, details: dict[str, Any], rules: OutOfStock) -> dict[str, Any]:
    """The `out_of_stock` facts: the refund for the missing items, in the order's currency,
    whether the rest ships, and what happens without an answer by `answer_by` (the policy's
    choice; a refund when it says `alternative` but none is offered)."""
    missing = (event.order.items if event.order else None) or []
    refund = refund_for(missing)
    alternatives = any(item.alternatives for item in missing)
    fallback = rules.if_no_answer
    if fallback == "alternative" and not alternatives:
        fallback = "refund"
    return {
        "refund_amount": str(refund) if refund is not None else None,
        "currency": details.get("currency"),
        "rest_ships": rest_ships(details.get("items"), missing),
        "has_alternatives": alternatives,
        "if_no_answer": fallback,
        "answer_by": (event.occurred_at + rules.answer_within).isoformat(),
        "alternatives_url": details.get("status_url"),
    }
