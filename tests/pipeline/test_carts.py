"""Cart events are taken one at a time per cart and in `occurred_at` order: a late older
event neither re-times the reminders with an old cart nor plans them after the order."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

import notifier
from notifier.store.db import session_scope
from notifier.store.models import Event, Notification
from notifier.vocabulary import EventStatus, Kind, NotificationStatus
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import Clock, example, settings_for

START = datetime.fromisoformat("2026-11-10T18:00:00+00:00")


def shop_for(url: str) -> Runtime:
    return build_runtime(settings_for(url), clock=Clock(START), console=io.StringIO())


@pytest.fixture(params=["sqlite", "postgres"])
def shop(request: pytest.FixtureRequest) -> Runtime:
    return shop_for(request.getfixturevalue(f"{request.param}_url"))


def cart_updated(event_id: str, minutes: int, quantity: int) -> dict[str, Any]:
    event = example("cart_updated") | {
        "event_id": event_id,
        "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
    }
    items = [item | {"quantity": quantity} for item in event["cart"]["items"]]
    event["cart"] = event["cart"] | {"items": items}
    return event


def first_reminder(runtime: Runtime) -> Notification | None:
    with session_scope(runtime.db_url) as session:
        found = session.query(Notification).filter_by(kind=Kind.CART_REMINDER_1).one_or_none()
        if found is not None:
            session.expunge(found)
        return found


def event_status(runtime: Runtime, event_id: str) -> EventStatus:
    with session_scope(runtime.db_url) as session:
        return session.query(Event).filter_by(event_id=event_id).one().status


def test_a_late_older_cart_event_changes_nothing(shop: Runtime) -> None:
    notifier.publish(cart_updated("evt-newer", 30, quantity=3), runtime=shop)
    notifier.publish(cart_updated("evt-older", 10, quantity=1), runtime=shop)
    reminder = first_reminder(shop)
    assert reminder is not None and reminder.status is NotificationStatus.SCHEDULED
    assert reminder.context["cart"]["items"][0]["quantity"] == 3
    assert reminder.due_at == START + timedelta(minutes=30, hours=1)
    assert event_status(shop, "evt-older") is EventStatus.STALE


def test_a_newer_cart_event_still_moves_the_reminder(shop: Runtime) -> None:
    notifier.publish(cart_updated("evt-1", 10, quantity=1), runtime=shop)
    notifier.publish(cart_updated("evt-2", 30, quantity=2), runtime=shop)
    reminder = first_reminder(shop)
    assert reminder is not None and reminder.context["cart"]["items"][0]["quantity"] == 2
    assert reminder.due_at == START + timedelta(minutes=30, hours=1)


def test_a_cart_event_older_than_the_order_plans_no_reminder(shop: Runtime) -> None:
    placed = example("order_placed") | {"occurred_at": (START + timedelta(hours=2)).isoformat()}
    notifier.publish(placed, runtime=shop)
    notifier.publish(cart_updated("evt-late", 10, quantity=1), runtime=shop)
    assert first_reminder(shop) is None
    assert event_status(shop, "evt-late") is EventStatus.STALE


def test_concurrent_cart_events_leave_the_newest_cart(postgres_url: str) -> None:
    """Sixteen updates of one cart, applied by four workers at once in a shuffled order."""
    minutes = [7, 3, 15, 1, 11, 5, 13, 9, 2, 16, 4, 12, 8, 14, 6, 10]
    events = [cart_updated(f"evt-{m}", m, quantity=m) for m in minutes]
    shops = [shop_for(postgres_url) for _ in range(4)]
    barrier = threading.Barrier(len(shops))

    def work(runtime: Runtime, mine: list[dict[str, Any]]) -> None:
        barrier.wait()
        for event in mine:
            notifier.publish(event, runtime=runtime)

    threads = [
        threading.Thread(target=work, args=(runtime, events[n :: len(shops)]))
        for n, runtime in enumerate(shops)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reminder = first_reminder(shops[0])
    assert reminder is not None and reminder.context["cart"]["items"][0]["quantity"] == 16
    assert reminder.due_at == START + timedelta(minutes=16, hours=1)
