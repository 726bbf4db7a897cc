"""A fake of Shopify's Admin GraphQL API, `orderCancel` only: a real HTTP server on loopback.

    with FakeShopifyAdmin() as shop:
        admin = ShopifyAdmin(shop.base_url, shop.token)
        shop.throttle_next()                      # the next call is THROTTLED (HTTP 200)
        shop.fail_next(500)                       # the one after answers 500
        shop.refuse("gid://shopify/Order/1", "Order has been fulfilled")
        ...
        assert shop.calls[0].refund

`POST /admin/api/{version}/graphql.json` checks, in Shopify's order: the path (404), the
`X-Shopify-Access-Token` header (401 with Shopify's words), a JSON body with a `query` string
(400), then GraphQL: the query must be a mutation calling `orderCancel(` with its arguments
passed as variables (`orderId` a `gid://shopify/Order/<n>`, `reason` an OrderCancelReason,
`restock` a boolean, and the refund as `refundMethod.originalPaymentMethodsRefund` or the older
`refund`). A GraphQL problem is answered as Shopify does: HTTP 200 with a top-level `errors`
list. Each call that passes is recorded (`calls`), then answered with a job
(`data.orderCancel.job`) or with `orderCancelUserErrors`: an order cancelled before (by a call,
or `mark_canceled`) is refused as already cancelled, and `refuse` makes any order refused.
Every answer carries `extensions.cost` like Shopify's.

The wording of the refusals is this fake's (Shopify's exact messages are not documented);
the 401 body and the THROTTLED error are Shopify's. Only the standard library is used.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Final

from tests.fakes.served import ServedFake, send_json

API_VERSION: Final = "2026-07"
DEFAULT_TOKEN: Final = "shpat_" + "0123456789abcdef" * 2
INVALID_TOKEN_MESSAGE: Final = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)
ALREADY_CANCELED_MESSAGE: Final = "Cannot cancel an order that has already been cancelled."
CANCEL_REASONS: Final = frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"})

_ORDER_GID: Final = re.compile(r"^gid://shopify/Order/\d+$")
_BUCKET: Final = {"maximumAvailable": 2000.0, "restoreRate": 100.0}
_MUTATION_COST: Final = 10


@dataclass(frozen=True)
class CancelCall:
    """One orderCancel call as the fake understood it."""

    order_id: str
    refund: bool
    reason: str
    restock: bool
    notify_customer: bool | None
    staff_note: str | None


@dataclass(frozen=True)
class Throttle:
    """An injected THROTTLED answer: the bucket is empty and refills at this rate."""

    restore_rate: float


@dataclass(frozen=True)
class Refusal:
    """An orderCancelUserError the fake answers for one order."""

    message: str
    code: str
    field: tuple[str, ...] = ("orderId",)


class GraphQLProblem(Exception):
    """The request is not one the fake's GraphQL accepts: a top-level `errors` entry."""

    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.code = code


Answer = tuple[int, dict[str, Any], dict[str, str]]


class FakeShopifyAdmin(ServedFake):
    """The fake server; a context manager that starts and stops it."""

    def __init__(self, token: str = DEFAULT_TOKEN, api_version: str = API_VERSION) -> None:
        self.token = token
        self.path = f"/admin/api/{api_version}/graphql.json"
        self.calls: list[CancelCall] = []
        self.requests = 0  # every POST, rejected or not
        self.canceled: set[str] = set()
        self._refusals: dict[str, Refusal] = {}
        self._failures: deque[int | Throttle] = deque()  # an HTTP status, or a throttle
        self._delay = 0.0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def throttle_next(self, times: int = 1, restore_rate: float = 100.0) -> None:
        """The next `times` calls are THROTTLED (HTTP 200, Shopify's GraphQL throttle), with
        an empty bucket that refills at `restore_rate` points a second."""
        with self._lock:
            self._failures.extend([Throttle(restore_rate)] * times)

    def fail_next(self, status: int, times: int = 1) -> None:
        """The next `times` authenticated calls answer this HTTP status (429, 500, 503…)."""
        with self._lock:
            self._failures.extend([status] * times)

    def refuse(self, order_id: str, message: str, code: str = "INVALID") -> None:
        """Calls for this order are answered with this orderCancelUserError."""
        self._refusals[order_id] = Refusal(message, code)

    def mark_canceled(self, order_id: str) -> None:
        """The order was cancelled before (in the admin, say)."""
        self.canceled.add(order_id)

    def answer_late(self, seconds: float) -> None:
        """Do the work, then wait this long before answering (a client times out)."""
        self._delay = seconds

    def _next_failure(self) -> int | Throttle | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        with self._lock:
            self.requests += 1
        if path != self.path:
            return 404, {"errors": "Not Found"}, {}
        if headers.get("x-shopify-access-token") != self.token:
            return 401, {"errors": INVALID_TOKEN_MESSAGE}, {}
        failure = self._next_failure()
        if isinstance(failure, Throttle):
            return 200, _throttled(failure), {}
        if isinstance(failure, int):
            return failure, {"errors": "injected failure"}, {"Retry-After": "1.0"}
        if not headers.get("content-type", "").startswith("application/json"):
            return 415, {"errors": "Unsupported Media Type"}, {}
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}, {}
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}, {}
        try:
            return 200, self._order_cancel(body["query"], body.get("variables") or {}), {}
        except GraphQLProblem as problem:
            return 200, _problem(problem), {}

    def _order_cancel(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        call = _parse_cancel(query, variables)
        with self._lock:
            self.calls.append(call)
            refusal = self._refusals.get(call.order_id)
            if refusal is None and call.order_id in self.canceled:
                refusal = Refusal(ALREADY_CANCELED_MESSAGE, "INVALID")
            if refusal is None:
                self.canceled.add(call.order_id)
        if self._delay:
            time.sleep(self._delay)
        payload: dict[str, Any] = {"job": None, "orderCancelUserErrors": []}
        if refusal is not None:
            payload["orderCancelUserErrors"] = [_user_error(refusal)]
        else:
            payload["job"] = {"id": f"gid://shopify/Job/{uuid.uuid4()}", "done": False}
        if "userErrors" in query.replace("orderCancelUserErrors", ""):  # the deprecated list
            plain = [{"field": list(refusal.field), "message": refusal.message}] if refusal else []
            payload["userErrors"] = plain
        return {"data": {"orderCancel": payload}, "extensions": _cost(_MUTATION_COST)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                headers = {key.lower(): value for key, value in self.headers.items()}
                length = int(self.headers.get("Content-Length") or 0)
                status, body, extra = fake._answer(self.path, headers, self.rfile.read(length))
                send_json(self, status, body, "application/json; charset=utf-8", extra)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on `calls` instead."""

        return Handler


def _parse_cancel(query: str, variables: Any) -> CancelCall:
    """The orderCancel call a query and its variables make, or GraphQLProblem."""
    if not query.lstrip().startswith("mutation") or "orderCancel(" not in query:
        raise GraphQLProblem("this fake implements the orderCancel mutation only")
    if not isinstance(variables, dict):
        raise GraphQLProblem("variables must be an object")
    order_id = variables.get("orderId")
    if not isinstance(order_id, str) or not _ORDER_GID.match(order_id):
        raise GraphQLProblem(f"Invalid global id '{order_id}'", "argumentLiteralsIncompatible")
    reason = variables.get("reason")
    if reason not in CANCEL_REASONS:
        raise GraphQLProblem(
            f"Variable $reason was provided invalid value {reason!r}", "INVALID_VARIABLE"
        )
    restock = variables.get("restock")
    if not isinstance(restock, bool):
        raise GraphQLProblem(
            "Variable $restock of type Boolean! was provided invalid value", "INVALID_VARIABLE"
        )
    return CancelCall(
        order_id=order_id,
        refund=_refund_flag(variables),
        reason=str(reason),
        restock=restock,
        notify_customer=variables.get("notifyCustomer"),
        staff_note=variables.get("staffNote"),
    )


def _refund_flag(variables: dict[str, Any]) -> bool:
    method = variables.get("refundMethod")
    if isinstance(method, dict) and isinstance(method.get("originalPaymentMethodsRefund"), bool):
        return bool(method["originalPaymentMethodsRefund"])
    if isinstance(variables.get("refund"), bool):
        return bool(variables["refund"])
    raise GraphQLProblem(
        "Variable $refundMethod of type OrderCancelRefundMethodInput! was provided invalid value",
        "INVALID_VARIABLE",
    )


def _user_error(refusal: Refusal) -> dict[str, Any]:
    return {"field": list(refusal.field), "message": refusal.message, "code": refusal.code}


def _cost(requested: int) -> dict[str, Any]:
    status = {**_BUCKET, "currentlyAvailable": _BUCKET["maximumAvailable"] - requested}
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": status,
        }
    }


def _throttled(throttle: Throttle) -> dict[str, Any]:
    error = {
        "message": "Throttled",
        "extensions": {
            "code": "THROTTLED",
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        },
    }
    status = {**_BUCKET, "currentlyAvailable": 0.0, "restoreRate": throttle.restore_rate}
    cost = {"requestedQueryCost": _MUTATION_COST, "actualQueryCost": None, "throttleStatus": status}
    return {"errors": [error], "extensions": {"cost": cost}}


def _problem(problem: GraphQLProblem) -> dict[str, Any]:
    error = {"message": str(problem), "extensions": {"code": problem.code}}
    return {"errors": [error], "extensions": _cost(1)}
