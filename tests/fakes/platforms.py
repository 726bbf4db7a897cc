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

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class SeenRequest:
    """One request as the fake saw it."""

    path: str
    headers: dict[str, str]


class FakePlatformApi:
    """The fake server; a context manager that starts and stops it."""

    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self.resources: dict[str, Any] = {}
        self.requests: list[SeenRequest] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

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
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on `requests` instead."""

        return Handler

    def __enter__(self) -> FakePlatformApi:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
