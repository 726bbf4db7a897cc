"""Webhooks to the shop in the production shape: a real `notifier worker` on Redis and
PostgreSQL writes `message.status` with the outcomes of its sends, hands the rows to its own
`shop_webhooks.deliver` actor after the commit, and the shop gets each one, signed, once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

import notifier
from notifier.store.db import session_scope
from notifier.store.models import ShopWebhook
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import WorkerStarter, journey, settings_for, wait_until
from tests.fakes.shop import SECRET, FakeShop
from tests.workers.test_redis_postgres import settled

pytestmark = pytest.mark.slow


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    with FakeShop() as running:
        yield running


def undelivered(db_url: str) -> int:
    with session_scope(db_url) as session:
        query = select(func.count()).where(ShopWebhook.delivered_at.is_(None))
        return int(session.execute(query).scalar_one())


def test_a_worker_tells_the_shop_each_sent_message_once(
    postgres_url: str, redis_url: str, start_worker: WorkerStarter, shop: FakeShop
) -> None:
    secrets = {"NOTIFIER_SHOP_WEBHOOK_URL": shop.url, "NOTIFIER_SHOP_WEBHOOK_SECRET": SECRET}
    start_worker(secrets)
    producer: Runtime = build_runtime(settings_for(postgres_url, broker_url=redis_url))
    for event in journey():
        notifier.publish(event, runtime=producer)
        wait_until(lambda: settled(postgres_url), what=f"{event['event_id']} handled")
    wait_until(lambda: undelivered(postgres_url) == 0 and bool(shop.taken), what="webhooks")
    sent = [p["kind"] for p in shop.taken_of("message.status") if p["status"] == "sent"]
    assert Counter(sent) == Counter(["order_confirmed", "order_shipped", "delay_notice",
                                     "out_for_delivery", "order_delivered"])  # fmt: skip
    assert set(Counter(webhook_id for webhook_id, _ in shop.taken).values()) == {1}
    assert shop.unverified == 0
