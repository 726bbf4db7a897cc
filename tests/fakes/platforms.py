"""A fake of a shop platform's REST API (VTEX OMS, Tiendanube, Mercado Libre): a real HTTP
server on loopback that answers GETs with the JSON objects it was given, checks a credential
header, records every request, and fails on demand.

    with FakePlatformApi(auth=("X-VTEX-API-AppToken", "tok")) as api:
        api.serve("/api/oms/pvt/orders/v1-01", order_json)
        api.fail_next(503)            # the next GET answers 503 (then the order)
        settings = ...(vtex_base_url=api.base_url)

An unknown path is 404; a missing or wrong credential is 401, as the real APIs answer.
Only the standard library is used.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.served import ServedFake, send_json


@dataclass(frozen=True)
class SeenRequest:
    """One request as the fake saw it."""

    path: str
    headers: dict[str, str]


class FakePlatformApi(ServedFake):
    """The fake server; a context manager that starts and stops it."""

    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self.resources: dict[str, Any] = {}
        self.requests: list[SeenRequest] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def serve(self, path: str, resource: Any) -> None:
        """Answer GET `path` with this JSON value from now on."""
        self.resources[path] = resource

    def fail_next(self, status: int, times: int = 1) -> None:
        """The next `times` requests answer `status` (after being recorded)."""
        with self._lock:
            self._failures.extend([status] * times)

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        self.requests.append(SeenRequest(path, headers))
        failure = self._next_failure()
        if failure is not None:
            return failure, {"message": "injected failure"}
        if self.auth is not None:
            name, value = self.auth
            if headers.get(name.lower()) != value:
                return 401, {"message": "unauthorized"}
        if path not in self.resources:
            return 404, {"message": f"{path} not found"}
        return 200, self.resources[path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {key.lower(): value for key, value in self.headers.items()}
                status, body = fake._answer(self.path, headers)
                send_json(self, status, body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on `requests` instead."""

        return Handler
