"""VTEX: check an order hook's key, fetch the order from the OMS API, map its state to events.

VTEX signs nothing: the hook is configured (POST /api/orders/hook/config) with our own header
`X-Notifier-Hook-Key: <VTEX_HOOK_KEY>`, and `Origin.Account` must be the shop's account. The hook
carries ids only (`OrderId`, `State`, `LastChange`/`CurrentChange`); VTEX wants a 200 within
5 s, so the order is fetched later (`GET /api/oms/pvt/orders/{orderId}`, app key and token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from adapters.platforms.common import (
    BadPayload,
    Contact,
    Event,
    Mapping,
    cents,
    check_equal,
    compact,
    customer_section,
    get_json_object,
    ignored,
    iso_time,
)

PLATFORM = "vtex"
HOOK_KEY_HEADER = "X-Notifier-Hook-Key"

# VTEX addresses name countries in ISO 3166 alpha-3; phone numbers want alpha-2.
ALPHA2 = {"ARG": "AR", "BOL": "BO", "BRA": "BR", "CHL": "CL", "COL": "CO", "CRI": "CR",
          "ECU": "EC", "ESP": "ES", "GTM": "GT", "MEX": "MX", "PAN": "PA", "PER": "PE",
          "PRT": "PT", "PRY": "PY", "URY": "UY", "USA": "US"}  # fmt: skip
PAYMENT_GROUPS = {"creditCard": "card", "debitCard": "card", "bankInvoice": "boleto",
                  "instantPayment": "pix", "pix": "pix"}  # fmt: skip


@dataclass(frozen=True)
class Hook:
    """One order hook notification: which order, which state, when."""

    order_id: str
    state: str
    changed_at: str | None
    account: str | None

    @property
    def dedup_key(self) -> str:
        """VTEX has no notification id: the order, its state and the time of the change."""
        return f"{PLATFORM}:{self.order_id}:{self.state}:{self.changed_at}"


def is_ping(payload: dict[str, Any]) -> bool:
    """The `{"hookConfig": "ping"}` VTEX sends when the hook is configured (answer 200)."""
    return payload.get("hookConfig") == "ping"


def check_hook_key(expected: str, given: str | None) -> None:
    """Raise BadSignature unless the hook carries the key we configured in its headers."""
    check_equal(expected, given, HOOK_KEY_HEADER)


def parse_hook(payload: dict[str, Any], account: str | None) -> Hook:
    """The hook's ids; BadPayload names a missing one, BadSignature a foreign account."""
    order_id, state = payload.get("OrderId"), payload.get("State")
    if not isinstance(order_id, str) or not order_id:
        raise BadPayload("OrderId", "missing")
    if not isinstance(state, str) or not state:
        raise BadPayload("State", "missing")
    origin = payload.get("Origin") or {}
    hook_account = origin.get("Account") if isinstance(origin, dict) else None
    if account is not None:
        check_equal(account, hook_account, "Origin.Account")
    changed = payload.get("CurrentChange") or payload.get("LastChange")
    return Hook(order_id, state, changed if isinstance(changed, str) else None, hook_account)


def default_base_url(account: str) -> str:
    """The account's OMS API."""
    return f"https://{account}.vtexcommercestable.com.br"


def fetch_order(
    base_url: str, app_key: str, app_token: str, order_id: str, timeout: float
) -> dict[str, Any]:
    """The whole order from the OMS API (FetchFailed when VTEX does not give it)."""
    url = f"{base_url.rstrip('/')}/api/oms/pvt/orders/{quote(order_id, safe='')}"
    headers = {"X-VTEX-API-AppKey": app_key, "X-VTEX-API-AppToken": app_token}
    return get_json_object(url, headers, timeout)


def map_order(hook: Hook, order: dict[str, Any], region: str) -> Mapping:
    """The events the hook's state means for the fetched order."""
    state = hook.state
    when = iso_time(hook.changed_at) or iso_time(order.get("lastChange"))
    if when is None:
        raise BadPayload("LastChange", "no usable timestamp")
    mapping = Mapping()
    base = {"occurred_at": when, "order": _order(order, hook.order_id)}
    if state == "payment-pending":
        events = [{"type": "order.payment_pending", "payment": _payment(order, "pending")}]
    elif state in ("payment-approved", "ready-for-handling"):
        kind = "order.paid" if state == "payment-approved" else "order.placed"
        events = [{"type": kind, "payment": _payment(order, "approved")}]
    elif state == "invoiced":
        events = [{"type": "order.shipped", "shipment": _shipment(order)}, *_delivered(order)]
    elif state in ("canceled", "cancel"):
        events = [{"type": "order.canceled"}]
    else:
        return ignored(f"state {state!r} is not told to customers")
    customer = _customer(order, region, mapping.notes)
    for index, event in enumerate(events):
        suffix = f":{index}" if index else ""
        full = {"event_id": hook.dedup_key + suffix, **base, "customer": customer, **event}
        mapping.events.append(full)
    return mapping


def _order(order: dict[str, Any], order_id: str) -> Event:
    items = [
        compact(
            {
                "sku": item.get("refId") or item.get("id"),
                "name": item.get("name"),
                "quantity": item.get("quantity") if isinstance(item.get("quantity"), int) else 1,
                "unit_price": cents(item.get("sellingPrice", item.get("price"))),
            }
        )
        for item in order.get("items") or []
    ]
    cancel = order.get("cancellationData") or {}
    return compact(
        {
            "id": f"{PLATFORM}:{order_id}",
            "number": order_id,
            "placed_at": iso_time(order.get("creationDate")),
            "currency": (order.get("storePreferencesData") or {}).get("currencyCode"),
            "total": cents(order.get("value")),
            "items": items,
            "promised_delivery_at": _estimate(order),
            "cancel_reason": order.get("cancelReason") or cancel.get("Reason"),
        }
    )


def _logistics(order: dict[str, Any]) -> list[dict[str, Any]]:
    shipping = order.get("shippingData") or {}
    return [i for i in shipping.get("logisticsInfo") or [] if isinstance(i, dict)]


def _estimate(order: dict[str, Any]) -> str | None:
    dates = [iso_time(info.get("shippingEstimateDate")) for info in _logistics(order)]
    usable = [d for d in dates if d]
    return max(usable) if usable else None


def _packages(order: dict[str, Any]) -> list[dict[str, Any]]:
    attachment = order.get("packageAttachment") or {}
    return [p for p in attachment.get("packages") or [] if isinstance(p, dict)]


def _shipment(order: dict[str, Any]) -> Event:
    tracked = [p for p in _packages(order) if p.get("trackingNumber")] or _packages(order)
    package = tracked[0] if tracked else {}
    return compact(
        {
            "carrier": package.get("courier"),
            "tracking_number": package.get("trackingNumber"),
            "tracking_url": package.get("trackingUrl"),
            "eta": _estimate(order),
        }
    )


def _delivered(order: dict[str, Any]) -> list[Event]:
    """A shipment.delivered when every package's carrier says it was delivered."""
    statuses = [p.get("courierStatus") or {} for p in _packages(order)]
    if not statuses or not all(s.get("finished") and s.get("deliveredDate") for s in statuses):
        return []
    when = max(iso_time(s["deliveredDate"]) or "" for s in statuses)
    return [{"type": "shipment.delivered", "occurred_at": when, "shipment": _shipment(order)}]


def _payment(order: dict[str, Any], status: str) -> Event:
    payments = [
        payment
        for transaction in (order.get("paymentData") or {}).get("transactions") or []
        for payment in transaction.get("payments") or []
    ]
    first = payments[0] if payments else {}
    method = PAYMENT_GROUPS.get(str(first.get("group")), "other")
    payment: Event = {"status": status, "method": method}
    if status == "pending":
        payment["voucher_url"] = first.get("url")
        payment["code"] = first.get("bankIssuedInvoiceIdentificationNumberFormatted")
    return compact(payment)


def _customer(order: dict[str, Any], region: str, notes: list[str]) -> Event:
    profile = order.get("clientProfileData") or {}
    address = (order.get("shippingData") or {}).get("address") or {}
    email = profile.get("email")
    if isinstance(email, str) and email.endswith(".vtex.com.br"):
        notes.append("customer email is a VTEX relay alias: mail goes through VTEX's relay")
    key = profile.get("userProfileId") or profile.get("id") or f"guest-{order.get('orderId')}"
    contact = Contact(
        id=f"{PLATFORM}:{key}",
        name=" ".join(filter(None, [profile.get("firstName"), profile.get("lastName")])),
        emails=[email],
        phones=[(profile.get("phone"), ALPHA2.get(str(address.get("country"))))],
        locale=(order.get("clientPreferencesData") or {}).get("locale"),
    )
    return customer_section(contact, region, notes)
