"""One webhook POSTed to the shop, signed per the Standard Webhooks spec
(https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix seconds, the time
of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
computed by the `standardwebhooks` library from the `whsec_<base64>` secret.

A 2xx answer means the shop took it; anything else raises `NotDelivered`, and the caller tries
again later under the same webhook-id (the shop's key to drop a second copy). The URL and the
secret are never quoted in an error: the URL may carry a token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import urllib3
from standardwebhooks import Webhook
from urllib3 import exceptions as u3exc
from urllib3.util import Timeout

USER_AGENT = "notifier-shop-webhooks"
POOL_MAXSIZE = 16  # connections kept to the shop: one per worker thread sending at once


class NotDelivered(Exception):
    """The shop did not take the webhook; try again later. `answered` is False when no answer
    came at all (refused, timed out, cut): the next webhooks to the same endpoint would fare
    no better right now."""

    def __init__(self, reason: str, *, answered: bool) -> None:
        super().__init__(reason)
        self.answered = answered


def body_of(payload: Mapping[str, Any]) -> str:
    """The JSON text that is sent (and signed) for a payload."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class StandardWebhookSender:
    """POSTs signed webhooks to one URL over a pooled connection, with a timeout."""

    def __init__(
        self,
        url: str,
        secret: str,
        timeout: float,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url
        self._signer = Webhook(secret)
        self._wall_clock = wall_clock  # the signature's time is the request's, never a test's
        self._pool = urllib3.PoolManager(
            maxsize=POOL_MAXSIZE, timeout=Timeout(connect=timeout, read=timeout), retries=False
        )

    def headers(self, webhook_id: str, body: str) -> dict[str, str]:
        """The Standard Webhooks headers for this attempt (a fresh timestamp each time)."""
        moment = datetime.fromtimestamp(int(self._wall_clock()), UTC)
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": self._signer.sign(webhook_id, moment, body),
        }

    def send(self, webhook_id: str, payload: Mapping[str, Any]) -> None:
        """POST one webhook; return when the shop answered 2xx, else raise NotDelivered."""
        body = body_of(payload)
        try:
            response = self._pool.request(
                "POST", self._url, body=body.encode(), headers=self.headers(webhook_id, body),
                redirect=False, preload_content=True,
            )  # fmt: skip
        except u3exc.LocationValueError:
            raise NotDelivered("the shop's webhook URL is not usable", answered=False) from None
        except (u3exc.HTTPError, OSError) as exc:
            raise NotDelivered(f"no answer: {type(exc).__name__}", answered=False) from None
        if not 200 <= response.status < 300:
            raise NotDelivered(f"the shop answered {response.status}", answered=True)

    def close(self) -> None:
        """Release the pooled connections."""
        self._pool.clear()
