"""Shopify's Admin GraphQL API: cancel an order with a full refund (`orderCancel`).

One POST to `{base_url}/admin/api/{API_VERSION}/graphql.json` with the shop's Admin API access
token in `X-Shopify-Access-Token`. Shopify answers `orderCancel` with a background job that
does the cancel, the refund to the original payment methods and the restock; or with
`orderCancelUserErrors` when the order cannot be cancelled (already cancelled, not found, a
refund Shopify will not make). GraphQL errors arrive with HTTP 200 in a top-level `errors`
list; a throttled call is either that (`extensions.code` THROTTLED, with the bucket in
`extensions.cost.throttleStatus`) or an HTTP 429.

Every failure is a `CancelFailed`; `transient` says whether a later retry may go through.
Cancelling is naturally idempotent at Shopify (a second cancel is refused, the refund is not
made twice), so a retry after an unknown outcome is safe, but it may be refused as "already
cancelled": `CancelOutcomeUnknown` marks the failures after which that can happen.
The token is only ever put in the request header: no error, log line or repr carries it.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

from adapters.platforms.common import PlatformError

log = logging.getLogger(__name__)

# The pinned Admin API version (Shopify supports each for at least 12 months). In it,
# `orderCancel` takes `refundMethod` (documented since 2025-07) instead of the older
# `refund: Boolean`.
API_VERSION: Final = "2026-07"
TOKEN_SETTING: Final = "SHOPIFY_ADMIN_TOKEN"
DOMAIN_SETTING: Final = "SHOPIFY_SHOP_DOMAIN"
ORDER_GID_PREFIX: Final = "gid://shopify/Order/"
TOKEN_HEADER: Final = "X-Shopify-Access-Token"
DEFAULT_RETRY_AFTER: Final = 2.0

CANCEL_MUTATION: Final = """
mutation CancelWithRefund(
  $orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!,
  $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, refundMethod: $refundMethod,
    restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

# Our order ids for Shopify orders are `shopify:<numeric id>` (adapters/platforms/shopify.py).
_OUR_ORDER_ID = re.compile(r"^shopify:(\d+)$")
_ORDER_GID = re.compile(r"^gid://shopify/Order/(\d+)$")

# orderCancelUserErrors codes that are not a refusal of this order.
_TRANSIENT_CODES: Final = frozenset({"INTERNAL_ERROR"})
_PERMISSION_CODES: Final = frozenset({"NO_REFUND_PERMISSION"})


class CancelFailed(PlatformError):
    """Shopify did not take the cancel; `transient` when a later retry may go through.
    `code` is Shopify's error code when it gave one."""

    transient = False

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class CancelRefused(CancelFailed):
    """Shopify refused to cancel this order (already cancelled, not found, not refundable):
    the message is Shopify's own words."""


class AdminAccessDenied(CancelFailed):
    """The token, its scopes or the shop's domain are wrong: a setting to fix, not a retry."""


class NotAShopifyOrder(CancelFailed):
    """The order id is not one of a Shopify order (`shopify:<id>` or its GraphQL gid)."""


class CancelNotNow(CancelFailed):
    """Throttled, Shopify down (5xx) or unreachable: retry later, after `retry_after` if known."""

    transient = True


class CancelOutcomeUnknown(CancelNotNow):
    """The call may have reached Shopify (no answer in time): a retry is safe, and may be
    refused as "already cancelled" because this call did it."""


@dataclass(frozen=True)
class CancelResult:
    """Shopify took the cancel: the job that cancels, refunds and restocks in the background."""

    order_gid: str
    job_id: str
    job_done: bool


def order_gid(order_id: str) -> str | None:
    """The GraphQL gid of a Shopify order from our order id (`shopify:450789469` or the gid
    itself); None when the id is not a Shopify order's."""
    text = order_id.strip()
    match = _OUR_ORDER_ID.match(text) or _ORDER_GID.match(text)
    return f"{ORDER_GID_PREFIX}{match.group(1)}" if match else None


def default_base_url(shop_domain: str) -> str:
    """Where a shop's Admin API is: `https://{shop domain}`; a bare shop name (`casa-lupita`)
    is read as `casa-lupita.myshopify.com`."""
    domain = shop_domain.strip().removeprefix("https://").rstrip("/")
    return f"https://{domain if '.' in domain else domain + '.myshopify.com'}"


class ShopifyAdmin:
    """A client of one shop's Admin GraphQL API (holds the token; never shows it)."""

    def __init__(
        self, base_url: str, token: str, *, timeout: float = 10.0, notify_customer: bool = False
    ) -> None:
        self.endpoint = f"{base_url.rstrip('/')}/admin/api/{API_VERSION}/graphql.json"
        self.timeout = timeout
        # We tell the customer ourselves; Shopify's own email would be a second message.
        self.notify_customer = notify_customer
        self.__token = token

    def __repr__(self) -> str:
        return f"ShopifyAdmin({self.endpoint!r}, token=***)"

    def cancel_with_refund(self, order_id: str, note: str | None = None) -> CancelResult:
        """Cancel the order at Shopify, refunding the customer in full to the original
        payment methods and restocking; `note` becomes the staff note. Raises CancelFailed."""
        gid = order_gid(order_id)
        if gid is None:
            raise NotAShopifyOrder(f"order {order_id!r} is not a Shopify order")
        variables = {
            "orderId": gid,
            "reason": "CUSTOMER",
            "refundMethod": {"originalPaymentMethodsRefund": True},
            "restock": True,
            "notifyCustomer": self.notify_customer,
            "staffNote": note,
        }
        answer = self._post({"query": CANCEL_MUTATION, "variables": variables})
        result = _cancel_result(gid, answer)
        log.info("shopify orderCancel %s: job %s", gid, result.job_id)
        return result

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                TOKEN_HEADER: self.__token,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            with exc:  # it holds the connection open
                raise _http_failure(exc) from None
        except urllib.error.URLError as exc:  # before the request was sent (DNS, refused)
            raise CancelNotNow(f"Shopify unreachable: {_reason(exc.reason)}") from None
        except OSError as exc:  # sent, but no complete answer in time
            message = f"Shopify did not answer in time: {type(exc).__name__}"
            raise CancelOutcomeUnknown(message) from None
        return _json_object(raw)


def _reason(reason: object) -> str:
    return reason.__class__.__name__ if isinstance(reason, BaseException) else str(reason)


def _http_failure(exc: urllib.error.HTTPError) -> CancelFailed:
    status = exc.code
    if status in (401, 403):
        return AdminAccessDenied(
            f"Shopify refused {TOKEN_SETTING} (HTTP {status}): check the token and that the "
            "app has the write_orders scope",
            code=str(status),
        )
    if status == 429:
        return CancelNotNow("Shopify throttled the call (HTTP 429)", retry_after=_retry_after(exc))
    if status >= 500:
        return CancelNotNow(f"Shopify answered {status}", retry_after=_retry_after(exc))
    if status == 404:
        return AdminAccessDenied(
            f"no Shopify Admin API at this address (HTTP 404): check {DOMAIN_SETTING}",
            code="404",
        )
    return CancelFailed(f"Shopify answered {status}", code=str(status))


def _retry_after(exc: urllib.error.HTTPError) -> float:
    try:
        return max(float(exc.headers.get("Retry-After") or DEFAULT_RETRY_AFTER), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CancelNotNow("Shopify did not answer JSON") from None
    if not isinstance(decoded, dict):
        raise CancelFailed("Shopify did not answer a JSON object")
    return decoded


def _cancel_result(gid: str, answer: dict[str, Any]) -> CancelResult:
    errors = answer.get("errors")
    if errors:
        raise _graphql_failure(errors, answer.get("extensions"))
    payload = (answer.get("data") or {}).get("orderCancel")
    if not isinstance(payload, dict):
        raise CancelFailed("Shopify answered no orderCancel payload")
    user_errors = payload.get("orderCancelUserErrors") or []
    if user_errors:
        raise _user_error_failure(user_errors)
    job = payload.get("job")
    if not isinstance(job, dict) or not job.get("id"):
        raise CancelFailed("Shopify answered neither a job nor an error")
    return CancelResult(order_gid=gid, job_id=str(job["id"]), job_done=bool(job.get("done")))


def _graphql_failure(errors: Any, extensions: Any) -> CancelFailed:
    listed: list[Any] = errors if isinstance(errors, list) else [{"message": str(errors)}]
    found = [error for error in listed if isinstance(error, dict)]
    codes = {str((error.get("extensions") or {}).get("code")) for error in found}
    messages = "; ".join(str(error.get("message")) for error in found)
    if "THROTTLED" in codes or messages == "Throttled":
        return CancelNotNow("Shopify throttled the call", retry_after=_throttle_wait(extensions))
    if "INTERNAL_SERVER_ERROR" in codes:
        return CancelNotNow(f"Shopify failed: {messages}")
    if "ACCESS_DENIED" in codes:
        return AdminAccessDenied(
            f"Shopify denied the call with {TOKEN_SETTING}: {messages}", code="ACCESS_DENIED"
        )
    return CancelFailed(f"Shopify rejected the call: {messages}")


def _throttle_wait(extensions: Any) -> float:
    """Seconds until the bucket holds the requested cost again (Shopify's leaky bucket)."""
    cost = (extensions or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        wait = missing / float(status["restoreRate"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return DEFAULT_RETRY_AFTER
    return max(wait, 1.0)


def _user_error_failure(user_errors: list[Any]) -> CancelFailed:
    first = user_errors[0] if isinstance(user_errors[0], dict) else {}
    code = first.get("code")
    message = "; ".join(str(e.get("message")) for e in user_errors if isinstance(e, dict))
    if code in _TRANSIENT_CODES:
        return CancelNotNow(f"Shopify failed: {message}", code=code)
    if code in _PERMISSION_CODES:
        return AdminAccessDenied(f"{TOKEN_SETTING} may not refund: {message}", code=code)
    return CancelRefused(message, code=code)
