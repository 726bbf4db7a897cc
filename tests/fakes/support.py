"""A fake support webhook: a real HTTP server on loopback that records the JSON it is POSTed.

with FakeSupportWebhook() as support:
    support.fail_next(2, 503)          # the next two POSTs get a 503
    ... support.received[0]["orders"]   # the bodies, parsed
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
TOKEN = "s3cret-support-token"


class FakeSupportWebhook:
    """Start with `with FakeSupportWebhook() as support:`; `url` carries a token to check."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.refused = 0
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{HOST}:{self._server.server_address[1]}/support?token={TOKEN}"

    def __enter__(self) -> FakeSupportWebhook:
        self._server = ThreadingHTTPServer((HOST, 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next `n` POSTs with `status` (and record nothing)."""
        with self._lock:
            self._failures.extend([status] * n)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """The status for one POST; a good one is recorded."""
        with self._lock:
            if f"token={TOKEN}" not in path:
                return 401
            if self._failures:
                self.refused += 1
                return self._failures.pop(0)
            self.received.append(json.loads(body))
            self.headers.append(headers)
            return 200


def _handler(fake: FakeSupportWebhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = fake.answer(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "failing"}')

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest's output is for failures."""

    return Handler
