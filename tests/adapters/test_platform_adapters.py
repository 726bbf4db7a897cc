"""The platform adapters' pure parts: phone numbers, timestamps, signatures, transitions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from adapters.platforms import woocommerce
from adapters.platforms.common import (
    BadSignature,
    check_base64_hmac,
    check_hex_hmac,
    iso_time,
    normalise_phone,
)
from tests.platforms import base64_hmac, hex_hmac, sample

PLATFORMS = Path(__file__).resolve().parents[2] / "adapters" / "platforms"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+52 1 55 1234 5678", "MX", "+525512345678"),  # legacy mobile prefix dropped
        ("+5215512345678", None, "+525512345678"),
        ("55 1234 5678", "MX", "+525512345678"),  # national: the shop's country
        ("(11) 98765-4321", "BR", "+5511987654321"),
        ("+5561992227222", "MX", "+5561992227222"),  # international: the region is moot
        ("555-555-SHIP", "US", None),  # not a real number
        ("12", "MX", None),
        ("", "MX", None),
        (None, "MX", None),
    ],
)
def test_platform_phone_numbers_become_e164_or_nothing(
    raw: str | None, region: str | None, expected: str | None
) -> None:
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "naive_is_utc", "expected"),
    [
        ("2019-08-14T17:12:48.0965893Z", False, "2019-08-14T17:12:48.096589+00:00"),
        ("2021-12-31T19:00:00-05:00", False, "2021-12-31T19:00:00-05:00"),
        ("2017-03-22T19:28:08", True, "2017-03-22T19:28:08+00:00"),
        ("2017-03-22T19:28:08", False, None),  # local time of an unknown zone: unusable
        ("yesterday", True, None),
    ],
)
def test_platform_timestamps_are_normalised_with_an_offset(
    raw: str, naive_is_utc: bool, expected: str | None
) -> None:
    assert iso_time(raw, naive_is_utc=naive_is_utc) == expected


def test_signatures_are_checked_over_the_exact_bytes() -> None:
    body = b'{"id": 1}'
    check_base64_hmac("s", body, base64_hmac("s", body), "X-Sig")
    check_hex_hmac("s", body, hex_hmac("s", body).upper(), "X-Sig")
    with pytest.raises(BadSignature, match="X-Sig does not match"):
        check_base64_hmac("s", body + b" ", base64_hmac("s", body), "X-Sig")
    with pytest.raises(BadSignature, match="X-Sig missing"):
        check_hex_hmac("s", body, None, "X-Sig")


@pytest.mark.parametrize(
    ("previous", "status", "expected"),
    [
        (None, "processing", "order.placed"),
        ("pending", "processing", "order.paid"),
        ("on-hold", "processing", "order.paid"),
        (None, "on-hold", "order.payment_pending"),
        ("processing", "completed", "order.shipped"),
        ("processing", "cancelled", "order.canceled"),
        ("completed", "refunded", "order.refunded"),
        ("processing", "processing", None),
        (None, "pending", None),
        ("processing", "failed", None),
    ],
)
def test_woocommerce_events_follow_the_status_transition(
    previous: str | None, status: str, expected: str | None
) -> None:
    order = sample("woocommerce", "order.created.json") | {"status": status}
    mapping = woocommerce.map_order(order, previous, "MX")
    assert [e["type"] for e in mapping.events] == ([expected] if expected else [])


def test_woocommerce_tracking_plugin_meta_is_used_when_present() -> None:
    tracking = {"tracking_provider": "DHL", "tracking_number": "JD0001", "date_shipped": "1"}
    meta = [{"id": 1, "key": "_wc_shipment_tracking_items", "value": [tracking]}]
    order = sample("woocommerce", "order.updated.json") | {"meta_data": meta}
    [event] = woocommerce.map_order(order, "processing", "MX").events
    assert event["shipment"] == {"carrier": "DHL", "tracking_number": "JD0001"}


def test_platform_adapters_import_nothing_from_the_notifier() -> None:
    for path in PLATFORMS.glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names]  # fmt: skip
        assert not [m for m in modules if m.split(".")[0] == "notifier"], path.name
