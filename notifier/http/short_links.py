"""`GET /r/{code}`: a short link of ours (CONTRACT §6). It redirects (302) to the link the
message carried and counts the click against that message. The code is the only key (random,
one per message and link). A link preview (WhatsApp, Telegram, a mail scanner fetching the
link to show a card) is redirected too but not counted, nor is a HEAD; an unknown code gets a
page that says so, in the reader's language, with a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from notifier.http.ops_session import page
from notifier.store import short_links
from notifier.store.db import session_scope
from notifier.workers.runtime import Runtime

PREVIEWERS = (
    "whatsapp", "facebookexternalhit", "facebot", "telegrambot", "twitterbot", "slackbot",
    "discordbot", "linkedinbot", "skypeuripreview", "googlebot", "bingbot", "applebot",
    "embedly", "preview", "bot/", "crawler", "spider",
)  # fmt: skip
WORDS = {
    "es": {"title": "Este enlace no existe",
           "text": "Revisa que lo copiaste completo o abre el enlace del mensaje que te enviamos."},
    "pt": {"title": "Este link não existe",
           "text": "Confira se você o copiou inteiro, ou abra o link da mensagem que enviamos."},
    "en": {"title": "This link does not exist",
           "text": "Check that you copied all of it, or open the link in the message we sent."},
}  # fmt: skip
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
RESPONSES: dict[int | str, dict[str, Any]] = {
    302: {"description": "To the message's link; the click is counted"},
    404: {"description": "No link has this code (an HTML page)", "content": {"text/html": {}}},
}


def is_preview(user_agent: str) -> bool:
    """True for a link preview or a crawler, by its User-Agent: not a customer's click."""
    agent = user_agent.lower()
    return not agent or any(name in agent for name in PREVIEWERS)


def _follow(runtime: Runtime, code: str, counted: bool) -> str | None:
    with session_scope(runtime.db_url) as session:
        return short_links.follow(session, code, runtime.clock(), counted)


def _language(accept_language: str) -> str:
    for part in accept_language.lower().split(","):
        language = part.strip()[:2]
        if language in WORDS:
            return language
    return "es"


def short_links_router(current: Callable[[], Runtime]) -> APIRouter:
    """The short links' redirect, bound to the runtime getter of the app."""
    router = APIRouter(responses=RESPONSES)

    @router.get("/r/{code}", response_class=RedirectResponse, status_code=302)
    async def follow(code: str, request: Request) -> Response:
        """To the link the message carried; a customer's click is counted."""
        return await _answer(current(), code, request, counted=not _previewed(request))

    @router.head("/r/{code}", response_class=RedirectResponse, status_code=302)
    async def peek(code: str, request: Request) -> Response:
        """Where the link goes, not counted (a link checker's HEAD)."""
        return await _answer(current(), code, request, counted=False)

    return router


def _previewed(request: Request) -> bool:
    return is_preview(request.headers.get("user-agent", ""))


async def _answer(runtime: Runtime, code: str, request: Request, counted: bool) -> Response:
    target = await run_in_threadpool(_follow, runtime, code, counted)
    if target is None:
        return _unknown(runtime, request.headers.get("accept-language", ""))
    return RedirectResponse(target, status_code=302, headers=NO_STORE)


def _unknown(runtime: Runtime, accept_language: str) -> HTMLResponse:
    lang = _language(accept_language)
    shop = runtime.settings.shop_name
    response = page("link_unknown.html", 404, words=WORDS[lang], lang=lang, shop=shop)
    response.headers.update(NO_STORE)
    return response
