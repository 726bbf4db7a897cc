"""What a customer's choice asks the shop's platform to do: today, Shopify's "cancel with a
full refund" (CONTRACT §6, the `cancel` choice of a delay notice).

Nothing here writes to the database: the caller records what became of the call, the way it
records the choice itself. Failures are the notifier's own errors, so an actor retries a
`TransientError` like any other (after `retry_after` when Shopify said how long).
"""

from __future__ import annotations

import logging

from adapters.platforms import shopify_admin
from adapters.platforms.shopify_admin import CancelResult
from notifier.config import Settings
from notifier.errors import PermanentError, TransientError

log = logging.getLogger(__name__)


class CancelRefusedByShop(PermanentError):
    """Shopify will not cancel this order (already cancelled, fulfilled, not refundable); the
    message is Shopify's words, `code` its error code."""


class ShopAccessDenied(PermanentError):
    """SHOPIFY_ADMIN_TOKEN, its scopes or SHOPIFY_SHOP_DOMAIN are wrong: ops must fix a setting."""


def shopify_configured(settings: Settings) -> bool:
    """True when both the shop's domain and its Admin API token are set."""
    return bool(settings.shopify_shop_domain and settings.shopify_admin_token)


def cancel_at_shop(
    settings: Settings, order_id: str, note: str | None = None
) -> CancelResult | None:
    """Cancel the order at Shopify with a full refund to the customer's payment methods.

    None when there is nothing to call: Shopify is not configured, or the order is not a
    Shopify order (`shopify:<id>`). A refusal raises CancelRefusedByShop, a wrong setting
    ShopAccessDenied, an answer we cannot use PermanentError, and throttling, a Shopify
    outage or the network TransientError."""
    if not shopify_configured(settings):
        return None
    if shopify_admin.order_gid(order_id) is None:
        log.info("order %s is not a Shopify order: nothing to cancel at Shopify", order_id)
        return None
    try:
        return _admin(settings).cancel_with_refund(order_id, note or _default_note(order_id))
    except shopify_admin.CancelFailed as exc:
        log.warning("order %s: Shopify did not cancel it: %s", order_id, exc)
        raise _notifier_error(exc) from None


def _admin(settings: Settings) -> shopify_admin.ShopifyAdmin:
    domain = settings.shopify_shop_domain or ""
    token = settings.shopify_admin_token.get_secret_value() if settings.shopify_admin_token else ""
    base_url = settings.shopify_base_url or shopify_admin.default_base_url(domain)
    return shopify_admin.ShopifyAdmin(base_url, token, timeout=settings.platform_timeout)


def _default_note(order_id: str) -> str:
    return f"The customer chose to cancel with a full refund in a Notifier message ({order_id})."


def _notifier_error(exc: shopify_admin.CancelFailed) -> TransientError | PermanentError:
    if exc.transient:
        return TransientError(str(exc), retry_after=exc.retry_after)
    if isinstance(exc, shopify_admin.AdminAccessDenied):
        return ShopAccessDenied(str(exc), code=exc.code)
    if isinstance(exc, shopify_admin.CancelRefused):
        return CancelRefusedByShop(str(exc), code=exc.code)
    return PermanentError(str(exc), code=exc.code)  # an answer we cannot use: not a retry
