"""For each platform whose webhook carries ids only: fetch what it points at with the
configured credentials, and map it (the `platforms.fetch` task calls these)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from adapters.platforms import mercadolibre, tiendanube, vtex
from adapters.platforms.common import FetchFailed, Mapping, ignored
from notifier.config import Settings

Fetcher = Callable[[Settings, dict[str, Any]], Mapping]


def _required(value: SecretStr | str | None, setting: str) -> str:
    if value is None:
        raise FetchFailed(f"{setting} is not set", transient=False)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def fetch_vtex(settings: Settings, payload: dict[str, Any]) -> Mapping:
    """The VTEX order of a hook, mapped by the hook's state."""
    hook = vtex.parse_hook(payload, settings.vtex_account)
    base_url = settings.vtex_base_url or vtex.default_base_url(
        _required(settings.vtex_account, "VTEX_ACCOUNT")
    )
    order = vtex.fetch_order(
        base_url,
        _required(settings.vtex_app_key, "VTEX_APP_KEY"),
        _required(settings.vtex_app_token, "VTEX_APP_TOKEN"),
        hook.order_id,
        settings.platform_timeout,
    )
    return vtex.map_order(hook, order, settings.shop_country)


def fetch_tiendanube(settings: Settings, payload: dict[str, Any]) -> Mapping:
    """The Tiendanube order of a notification, mapped by its event."""
    notification = tiendanube.parse(payload)
    token = _required(settings.tiendanube_access_token, "TIENDANUBE_ACCESS_TOKEN")
    order = tiendanube.fetch_order(
        settings.tiendanube_base_url, token, notification, settings.platform_timeout
    )
    return tiendanube.map_order(notification, order, settings.shop_country)


def fetch_mercadolibre(settings: Settings, payload: dict[str, Any]) -> Mapping:
    """The Mercado Libre order or shipment of a notification, mapped."""
    app_id = _required(settings.mercadolibre_app_id, "MERCADOLIBRE_APP_ID")
    notification = mercadolibre.parse(payload, app_id)
    if notification is None:
        return ignored(f"topic {payload.get('topic')!r} is not mapped")
    token = _required(settings.mercadolibre_access_token, "MERCADOLIBRE_ACCESS_TOKEN")
    resource = mercadolibre.fetch(
        settings.mercadolibre_base_url, token, notification, settings.platform_timeout
    )
    return mercadolibre.map_resource(notification, resource)


FETCHERS: dict[str, Fetcher] = {
    vtex.PLATFORM: fetch_vtex,
    tiendanube.PLATFORM: fetch_tiendanube,
    mercadolibre.PLATFORM: fetch_mercadolibre,
}
