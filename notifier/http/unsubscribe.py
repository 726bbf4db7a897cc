"""`/unsubscribe/{token}`: one-click unsubscribe from marketing (RFC 8058, CONTRACT §6).

A mail client POSTs `List-Unsubscribe=One-Click` to the URL of the List-Unsubscribe header; the
customer who follows the visible link GETs a page with a button that POSTs the same. A GET never
unsubscribes: mail scanners open links. The token is the only key (random, one per email): no
cookie, no login, and the page shows nothing of the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from notifier.care.unsubscribe import UnknownLink, unsubscribe
from notifier.http.openapi import problems
from notifier.http.ops_session import page
from notifier.store.db import session_scope
from notifier.store.models import Customer
from notifier.store.unsubscribes import find
from notifier.workers.runtime import Runtime

Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
WORDS = {
    "es": {
        "title": "Dejar de recibir promociones",
        "ask": (
            "¿Ya no quieres recibir nuestras promociones? Seguirás recibiendo los "
            "avisos de tus pedidos."
        ),
        "button": "Darme de baja",
        "done": (
            "Listo: ya no te enviaremos promociones. Los avisos de tus pedidos siguen llegando."
        ),
    },
    "pt": {
        "title": "Parar de receber promoções",
        "ask": (
            "Não quer mais receber nossas promoções? Você continuará recebendo os "
            "avisos dos seus pedidos."
        ),
        "button": "Cancelar inscrição",
        "done": (
            "Pronto: não enviaremos mais promoções. Os avisos dos seus pedidos continuam chegando."
        ),
    },
    "en": {
        "title": "Stop promotional messages",
        "ask": ("No longer want our promotions? You will still get updates about your orders."),
        "button": "Unsubscribe",
        "done": "Done: we will not send you promotions any more. Order updates keep coming.",
    },
}
T = TypeVar("T")
PAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The page (HTML)", "content": {"text/html": {}}}
}


def _words(locale: str | None) -> dict[str, str]:
    return WORDS.get((locale or "es").split("-")[0].lower(), WORDS["es"])


def _locale_of(runtime: Runtime, token: str) -> str | None:
    with session_scope(runtime.db_url) as session:
        link = find(session, token)
        if link is None:
            raise UnknownLink("no unsubscribe link has this token")
        customer = session.get(Customer, link.customer_id)
        return customer.locale if customer else None


def unsubscribe_router(current: Callable[[], Runtime]) -> APIRouter:
    """The one-click unsubscribe endpoints, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/unsubscribe", responses=PAGE | problems(404, 422))

    @router.get("/{token}", response_class=HTMLResponse)
    async def ask(token: Token) -> HTMLResponse:
        """A page with one button; nothing changes until it is pressed."""
        locale = await run_in_threadpool(_known, _locale_of, current(), token)
        return page("unsubscribe.html", words=_words(locale), token=token, done=False)

    @router.post("/{token}", response_class=HTMLResponse)
    async def one_click(token: Token) -> HTMLResponse:
        """RFC 8058 one-click (or the page's button): out of marketing at once."""
        result = await run_in_threadpool(_known, unsubscribe, current(), token)
        return page("unsubscribe.html", words=_words(result.locale), token=token, done=True)

    return router


def _known(step: Callable[[Runtime, str], T], runtime: Runtime, token: str) -> T:
    try:
        return step(runtime, token)
    except UnknownLink as exc:
        raise HTTPException(404, detail=[{"field": "token", "reason": str(exc)}]) from None
