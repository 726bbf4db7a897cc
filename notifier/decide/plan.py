"""One event's whole decision as a value: the Plan the pipeline applies with the store.

`decide_event` takes the order as it is (or None for a cart or a customer's own event), its
customer, the event, the policy and the clock, and says everything that follows: the order's
next state, what changes of the customer, the messages to plan (each with the facts beyond the
order it is rendered from, and the compensation tier it offers), the pending messages to cancel,
and the care actions (a VIP's delay goes to a person). Nothing here reads or writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from notifier.contract.events import EventIn
from notifier.decide import playbook, watch, winback
from notifier.decide.facts import DEFAULT_READER, CustomerLike, OrderLike, OrderView, Reader
from notifier.decide.followups import Cancel
from notifier.decide.planning import Before, Message, kind_extras
from notifier.decide.playbook import Decision
from notifier.decide.policy import Policy


@dataclass(frozen=True)
class Plan:
    """What one event changes. `order` is the order's next state (None: the event has no
    order); a stale event only fills in order details nobody had given yet."""

    stale: bool
    reason: str = ""
    order: OrderView | None = None
    customer: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    cancels: list[Cancel] = field(default_factory=list)
    vip_note: str | None = None


def decide_event(
    order: OrderLike | None, customer: CustomerLike | None, event: EventIn, now: datetime,
    policy: Policy, *, reader: Reader = DEFAULT_READER, delay_told: bool = False,
) -> Plan:  # fmt: skip
    """The Plan for one event, as of `now` (see the module's docstring). `reader`: the
    customer's locale and time zone, defaults applied; `delay_told`: a delay notice of ours
    went out for the order (a cancellation then refunds it in full)."""
    if order is None:
        return _without_order(event, now, policy)
    state = playbook.OrderState(order.status, order.status_at)
    decision = playbook.decide(state, event, now, policy, reader.timezone)
    merged = merge_order(OrderView.of(order), event, overwrite=not decision.stale)
    if decision.stale:
        return Plan(stale=True, reason=decision.reason, order=merged)
    before = Before(order.status, delay_told)
    return _fresh(order, merged, customer, event, decision, now, policy, before)


def _fresh(
    order: OrderLike, merged: OrderView, customer: CustomerLike | None, event: EventIn,
    decision: Decision, now: datetime, policy: Policy, before: Before,
) -> Plan:  # fmt: skip
    if decision.new_status is not None:
        merged = replace(merged, status=decision.new_status, status_at=event.occurred_at)
    merged = replace(merged, last_scan_at=watch.last_scan(merged, event))
    messages = [Message(p, kind_extras(p, event, merged, policy, before)) for p in decision.plans]
    vip_note = None
    signal = watch.signal_from_event(merged, event)
    if signal is not None:
        notice = watch.delay_notice(merged, customer, signal, now, policy)
        messages += notice.messages
        merged = replace(merged, notified_eta=notice.notified_eta or merged.notified_eta)
        vip_note = notice.vip_note
    merged = replace(merged, next_check_at=watch.next_check(merged, policy, now, False))
    first_event_of_order = not order.details  # every event writes at least the order's id
    cancels = [
        cancel
        for cancel in decision.cancels
        if not (first_event_of_order and cancel.order_id == merged.id)
    ]  # an order no event has written to yet has no messages to cancel
    return Plan(
        stale=False, order=merged, customer=_customer_changes(customer, event, policy),
        messages=messages, cancels=cancels, vip_note=vip_note,
    )  # fmt: skip


def _customer_changes(
    customer: CustomerLike | None, event: EventIn, policy: Policy
) -> dict[str, Any]:
    if customer is None:
        return {}
    return winback.note_order(
        customer.last_order_at, customer.last_winback_at, event, policy.winback
    )


def _without_order(event: EventIn, now: datetime, policy: Policy) -> Plan:
    decision = playbook.decide(playbook.OrderState(), event, now, policy)
    messages = [Message(p, kind_extras(p, event, None, policy)) for p in decision.plans]
    return Plan(stale=False, messages=messages, cancels=decision.cancels)


def _section(model: Any) -> dict[str, Any]:
    if model is None:
        return {}
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True, exclude_unset=True)
    return dumped


def _merged(current: dict[str, Any], new: dict[str, Any], overwrite: bool) -> dict[str, Any]:
    if overwrite:
        return {**current, **new}
    return {**new, **current}


def merge_order(order: OrderView, event: EventIn, overwrite: bool) -> OrderView:
    """The order's details and shipment with the event's; a stale event only fills gaps."""
    new_details = _section(event.order)
    if event.type == "item.out_of_stock":
        new_details.pop("items", None)  # the items that ran out, not the order's whole list
    return replace(
        order,
        details=_merged(order.details, new_details, overwrite),
        shipment=_merged(order.shipment, _section(event.shipment), overwrite),
    )
