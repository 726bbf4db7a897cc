"""`/choices/{token}`: the choices of an email (CONTRACT §6). A GET shows the choice and a
button; the button's POST takes it, as a WhatsApp tap would. The signed token is the only key:
no cookie, no login, and the page shows nothing of the customer but the order's number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from notifier.care.link_choices import Offered, UnknownChoice, choose, offered
from notifier.http.openapi import problems
from notifier.workers.runtime import Runtime

Token = Annotated[str, Path(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")]
PAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The page (HTML)", "content": {"text/html": {}}}
}


def _page(runtime: Runtime, found: Offered, action_url: str, done: bool) -> str:
    renderer = runtime.renderer
    label_path, _ = renderer.resolve("_choices", f"{found.choice}.txt", found.locale)
    label = (renderer.templates_dir / label_path).read_text(encoding="utf-8").strip()
    page_path, _ = renderer.resolve("_choices", "page.html", found.locale)
    source = (renderer.templates_dir / page_path).read_text(encoding="utf-8")
    view = {"locale": found.locale, "shop_name": runtime.settings.shop_name,
            "order": {"number": found.order_number},
            "choice": {"name": found.choice, "label": label},
            "action_url": action_url, "done": done, "ack": None}  # fmt: skip
    return renderer.render_source(source, view, html=True)


def _known(step: Callable[[Runtime, str], Offered], runtime: Runtime, token: str) -> Offered:
    try:
        return step(runtime, token)
    except UnknownChoice as exc:
        raise HTTPException(404, detail=[{"field": "token", "reason": str(exc)}]) from None


def choices_router(current: Callable[[], Runtime]) -> APIRouter:
    """The email choice endpoints, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/choices", responses=PAGE | problems(404, 422))

    @router.get("/{token}", response_class=HTMLResponse)
    async def ask(token: Token, request: Request) -> HTMLResponse:
        """The choice and one button; nothing is taken until it is pressed."""
        runtime = current()
        found = await run_in_threadpool(_known, offered, runtime, token)
        html = await run_in_threadpool(_page, runtime, found, request.url.path, False)
        return HTMLResponse(html)

    @router.post("/{token}", response_class=HTMLResponse)
    async def confirm(token: Token, request: Request) -> HTMLResponse:
        """Take the choice: acknowledged, told to the shop, acted on (once)."""
        runtime = current()
        found = await run_in_threadpool(_known, choose, runtime, token)
        html = await run_in_threadpool(_page, runtime, found, request.url.path, True)
        return HTMLResponse(html)

    return router
