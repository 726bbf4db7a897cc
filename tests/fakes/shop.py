"""A fake shop backend for our webhooks: a real HTTP server on loopback that verifies every
request with the `standardwebhooks` library, as a shop would, and records what it took.

with FakeShop() as shop:               # listening; `shop.url` carries a token to keep secret
    shop.down(503)                     # answer 503 (or `shop.refuse()`: nothing listens)
    shop.up()
    shop.taken                         # [(webhook-id, payload)] answered 2xx, in order
    shop.attempts                      # every webhook-id that reached it, taken or not
"""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

HOST = "127.0.0.1"
SECRET = "whsec_" + base64.b64encode(b"a shop's 32-byte webhook secret!").decode()
TOKEN = "shop-url-token-7f3a"


class FakeShop:
    """Start with `with FakeShop() as shop:`; it keeps its port across `refuse()` / `up()`."""

    def __init__(self, secret: str = SECRET) -> None:
        self.verifier = Webhook(secret)
        self.taken: list[tuple[str, dict[str, Any]]] = []
        self.attempts: list[str] = []
        self.unverified = 0
        self._status = 200
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hooks?token={TOKEN}"

    def __enter__(self) -> FakeShop:
        self._listen()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.refuse()

    def _listen(self) -> None:
        self._server = ThreadingHTTPServer((HOST, self.port), _handler(self))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self, status: int = 503) -> None:
        """Answer every webhook with `status`."""
        self._status = status

    def refuse(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def up(self) -> None:
        """Listen again (same port) and take every webhook."""
        self._status = 200
        if self._server is None:
            self._listen()

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        """Verify one request as a shop would; record it when the status is 2xx."""
        try:
            payload = self.verifier.verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.unverified += 1
            return 401
        with self._lock:
            self.attempts.append(headers["webhook-id"])
            if self._status < 300:
                self.taken.append((headers["webhook-id"], payload))
        return self._status

    def taken_of(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of one type taken, in order."""
        return [payload for _, payload in self.taken if payload["type"] == kind]


def _handler(shop: FakeShop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = 404
            if self.path.endswith(f"?token={TOKEN}"):
                status = shop.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler
