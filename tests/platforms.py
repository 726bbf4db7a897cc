"""Helpers for the platform webhook tests: samples, signatures, and what was stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from notifier.store.db import session_scope
from notifier.store.models import Event, PlatformNotification

SAMPLES = Path(__file__).resolve().parent / "data" / "platforms"


def sample(platform: str, name: str) -> dict[str, Any]:
    """A platform's sample payload (copied from ../shared/platforms) as a JSON object."""
    loaded: dict[str, Any] = json.loads((SAMPLES / platform / name).read_text())
    return loaded


def sample_bytes(platform: str, name: str) -> bytes:
    """A sample exactly as stored: signatures are over the raw bytes."""
    return (SAMPLES / platform / name).read_bytes()


def base64_hmac(secret: str, body: bytes) -> str:
    """Shopify's and WooCommerce's signature of a body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hex_hmac(secret: str, body: bytes) -> str:
    """Tiendanube's signature of a body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stored_events(db_url: str) -> list[dict[str, Any]]:
    """Every stored event's payload, in the order they were accepted."""
    with session_scope(db_url) as session:
        rows = session.execute(select(Event.payload).order_by(Event.id)).scalars()
        return [dict(payload) for payload in rows]


def stored_types(db_url: str) -> list[str]:
    """The types of the stored events, in order."""
    return [event["type"] for event in stored_events(db_url)]


def handed_off(db_url: str) -> list[tuple[str, str, str | None]]:
    """Stored platform notifications: (platform, status, outcome)."""
    with session_scope(db_url) as session:
        query = select(
            PlatformNotification.platform, PlatformNotification.status, PlatformNotification.outcome
        ).order_by(PlatformNotification.id)
        return [(row[0], row[1], row[2]) for row in session.execute(query)]


class HeldDispatcher:
    """A dispatcher that only records what it was handed: shows what a webhook request does
    by itself, before any worker runs (the platform's API must not be called yet)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def send(self, task: str, row_id: int) -> None:
        self.sent.append((task, row_id))

    def send_batch(self, task: str, row_ids: Sequence[int]) -> None:
        for row_id in row_ids:
            self.send(task, row_id)

    def ping(self) -> None:
        """Always reachable."""

    def depth(self) -> int:
        return len(self.sent)
