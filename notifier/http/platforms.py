"""A shop's own webhooks (CONTRACT §5): `/webhooks/{shopify,woocommerce,vtex,tiendanube,
mercadolibre}`.

Each endpoint checks the platform's signature (or shared key) on the raw body before parsing
(401 and nothing stored when it fails), then either maps the webhook and ingests the events at
once (Shopify, WooCommerce: the payload is the whole order) or stores it for the fetch task
(VTEX, Tiendanube, Mercado Libre: the payload is ids only, and the platform wants an answer
within seconds). A topic we do not map is answered 200 and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import SecretStr

from adapters.platforms import mercadolibre, shopify, tiendanube, vtex, woocommerce
from adapters.platforms.common import BadPayload, BadSignature, Mapping, decode_json_object
from notifier.contract.events import MAX_EVENT_BYTES
from notifier.errors import InvalidEvent
from notifier.http.body import read_limited
from notifier.http.openapi import problems
from notifier.intake.ingest import Accepted
from notifier.intake.platforms import (
    SHAPE_ERRORS,
    hand_off,
    ingest_mapping,
    ingest_status_change,
    log_ignored_once,
)
from notifier.workers.runtime import Runtime


def _problem(status: int, field: str, reason: str) -> HTTPException:
    return HTTPException(status_code=status, detail=[{"field": field, "reason": reason}])


@contextmanager
def _answers() -> Iterator[None]:
    """The adapters' and the ingest's errors as the HTTP answers they mean (never a 500)."""
    try:
        yield
    except BadSignature as exc:
        raise _problem(401, "(signature)", str(exc)) from None
    except BadPayload as exc:
        raise _problem(400 if exc.field == "(body)" else 422, exc.field, exc.reason) from None
    except InvalidEvent as exc:
        detail = [{"field": p.field, "reason": p.reason} for p in exc.problems]
        raise HTTPException(exc.status, detail=detail) from None
    except SHAPE_ERRORS as exc:
        # A payload whose parts have the wrong JSON types (a string where the platform sends an
        # object) trips the mapping: the sender's mistake, answered as such.
        reason = f"not the platform's payload shape ({type(exc).__name__}: {exc})"
        raise _problem(422, "(body)", reason) from None


def _secret(value: SecretStr | str | None, setting: str) -> str:
    """A platform's secret, or 503 naming the setting (the operator has not connected it)."""
    if value is None:
        raise _problem(503, setting, "not set: this platform is not connected")
    return value.get_secret_value() if isinstance(value, SecretStr) else value


async def _ingest(runtime: Runtime, platform: str, mapping: Mapping) -> dict[str, Any]:
    accepted = await run_in_threadpool(ingest_mapping, runtime, platform, mapping)
    return _answer(mapping, accepted)


def _answer(mapping: Mapping, accepted: list[Accepted]) -> dict[str, Any]:
    return {
        "accepted": [{"event_id": a.event_id, "duplicate": a.duplicate} for a in accepted],
        "ignored": mapping.ignored if not accepted else None,
        "notes": mapping.notes,
    }


async def _queue(
    runtime: Runtime, platform: str, key: str, payload: dict[str, Any]
) -> dict[str, Any]:
    stored = await run_in_threadpool(hand_off, runtime, platform, key, payload)
    return {"queued": stored, "duplicate": not stored}


def _ignored(platform: str, reason: str) -> dict[str, Any]:
    log_ignored_once(platform, reason)
    return {"accepted": [], "ignored": reason}


def platform_router(current: Callable[[], Runtime]) -> APIRouter:
    """The shop platforms' webhook endpoints, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/webhooks", responses=problems(400, 401, 413, 422, 503))
    _shopify_route(router, current)
    _woocommerce_route(router, current)
    _vtex_route(router, current)
    _tiendanube_route(router, current)
    _mercadolibre_route(router, current)
    return router


def _shopify_route(router: APIRouter, current: Callable[[], Runtime]) -> None:
    @router.post("/shopify")
    async def shopify_webhook(
        request: Request,
        x_shopify_hmac_sha256: Annotated[str | None, Header()] = None,
        x_shopify_topic: Annotated[str | None, Header()] = None,
        x_shopify_webhook_id: Annotated[str | None, Header()] = None,
        x_shopify_triggered_at: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """A Shopify webhook: HMAC checked, routed on its topic, deduplicated on its id."""
        runtime = current()
        secret = _secret(runtime.settings.shopify_webhook_secret, "SHOPIFY_WEBHOOK_SECRET")
        body = await read_limited(request, MAX_EVENT_BYTES, "webhook body")
        with _answers():
            shopify.verify(secret, body, x_shopify_hmac_sha256)
            if not x_shopify_topic or not x_shopify_webhook_id:
                missing = "X-Shopify-Topic" if not x_shopify_topic else "X-Shopify-Webhook-Id"
                raise BadPayload(missing, "header missing")
            delivery = shopify.Delivery(
                topic=x_shopify_topic,
                webhook_id=x_shopify_webhook_id,
                payload=decode_json_object(body),
                region=runtime.settings.shop_country,
                triggered_at=x_shopify_triggered_at,
            )
            return await _ingest(runtime, shopify.PLATFORM, shopify.map_webhook(delivery))


def _woocommerce_route(router: APIRouter, current: Callable[[], Runtime]) -> None:
    @router.post("/woocommerce")
    async def woocommerce_webhook(
        request: Request,
        x_wc_webhook_signature: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """A WooCommerce order webhook: signature checked, mapped by status transition; the
        unsigned ping sent when the webhook is saved is answered 200."""
        runtime = current()
        body = await read_limited(request, MAX_EVENT_BYTES, "webhook body")
        if woocommerce.is_ping(body, x_wc_webhook_signature):
            return {"ping": "ok"}
        secret = _secret(runtime.settings.woocommerce_webhook_secret, "WOOCOMMERCE_WEBHOOK_SECRET")
        region = runtime.settings.shop_country
        with _answers():
            woocommerce.verify(secret, body, x_wc_webhook_signature)
            payload = decode_json_object(body)
            order_id, status = woocommerce.order_id(payload), woocommerce.status_of(payload)
            mapping, accepted = await run_in_threadpool(
                ingest_status_change, runtime, woocommerce.PLATFORM, order_id, status,
                lambda previous: woocommerce.map_order(payload, previous, region),
            )  # fmt: skip
        return _answer(mapping, accepted)


def _vtex_route(router: APIRouter, current: Callable[[], Runtime]) -> None:
    @router.post("/vtex")
    async def vtex_webhook(
        request: Request,
        x_notifier_hook_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """A VTEX order hook: key and account checked, stored, the order fetched later."""
        runtime = current()
        settings = runtime.settings
        expected = _secret(settings.vtex_hook_key, "VTEX_HOOK_KEY")
        _secret(settings.vtex_app_key, "VTEX_APP_KEY")  # the order could not be fetched
        _secret(settings.vtex_app_token, "VTEX_APP_TOKEN")
        body = await read_limited(request, MAX_EVENT_BYTES, "webhook body")
        with _answers():
            payload = decode_json_object(body)
            if vtex.is_ping(payload):
                return {"ping": "ok"}  # stores nothing; VTEX may not send our header with it
            vtex.check_hook_key(expected, x_notifier_hook_key)
            hook = vtex.parse_hook(payload, settings.vtex_account)
            return await _queue(runtime, vtex.PLATFORM, hook.dedup_key, payload)


def _tiendanube_route(router: APIRouter, current: Callable[[], Runtime]) -> None:
    @router.post("/tiendanube")
    async def tiendanube_webhook(
        request: Request,
        x_linkedstore_hmac_sha256: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """A Tiendanube / Nuvemshop webhook: HMAC checked, stored, the order fetched later."""
        runtime = current()
        secret = _secret(runtime.settings.tiendanube_app_secret, "TIENDANUBE_APP_SECRET")
        _secret(runtime.settings.tiendanube_access_token, "TIENDANUBE_ACCESS_TOKEN")
        body = await read_limited(request, MAX_EVENT_BYTES, "webhook body")
        with _answers():
            tiendanube.verify(secret, body, x_linkedstore_hmac_sha256)
            notification = tiendanube.parse(decode_json_object(body))
            if not tiendanube.is_mapped(notification):
                return _ignored(tiendanube.PLATFORM, f"event {notification.event!r} is not mapped")
            payload = decode_json_object(body)
            return await _queue(runtime, tiendanube.PLATFORM, notification.dedup_key(), payload)


def _mercadolibre_route(router: APIRouter, current: Callable[[], Runtime]) -> None:
    @router.post("/mercadolibre")
    async def mercadolibre_webhook(request: Request) -> dict[str, Any]:
        """A Mercado Libre notification: application checked, stored, the resource fetched
        later (Mercado Libre wants the answer within 500 ms)."""
        runtime = current()
        app_id = _secret(runtime.settings.mercadolibre_app_id, "MERCADOLIBRE_APP_ID")
        _secret(runtime.settings.mercadolibre_access_token, "MERCADOLIBRE_ACCESS_TOKEN")
        body = await read_limited(request, MAX_EVENT_BYTES, "webhook body")
        with _answers():
            payload = decode_json_object(body)
            notification = mercadolibre.parse(payload, app_id)
            if notification is None:
                return _ignored(
                    mercadolibre.PLATFORM, f"topic {payload.get('topic')!r} is not mapped"
                )
            return await _queue(runtime, mercadolibre.PLATFORM, notification.key, payload)
