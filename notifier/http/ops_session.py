"""Signing in to the ops page: the form, `?token=` taken out of the address, signing out, and
the sign-in form as the answer to a 401 on a page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from notifier.http import auth
from notifier.workers.runtime import Runtime

CallNext = Callable[[Request], Awaitable[Response]]
Middleware = Callable[[Request, CallNext], Awaitable[Response]]
PAGES = jinja2.Environment(
    loader=jinja2.PackageLoader("notifier.http", "ops_pages"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    """An ops page rendered with its values."""
    return HTMLResponse(PAGES.get_template(name).render(**values), status_code=status)


def session_router(current: Callable[[], Runtime]) -> APIRouter:
    """/ops/login and /ops/logout."""
    router = APIRouter()

    @router.get("/login", response_class=HTMLResponse)
    def login_page(next: str = "/ops") -> Response:
        return page("login.html", 200, next=_local(next), failed=False)

    @router.post("/login", response_class=HTMLResponse)
    def login(token: Annotated[str, Form()], next: Annotated[str, Form()] = "/ops") -> Response:
        runtime = current()
        if not auth.token_is(token, runtime):
            return page("login.html", 401, next=_local(next), failed=True)
        return _signed_in(RedirectResponse(_local(next), status_code=303), runtime)

    @router.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        auth.require_csrf(current(), request, csrf)
        response = RedirectResponse("/ops/login", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/ops")
        return response

    return router


def _local(target: str) -> str:
    """Only a path of the ops page is a place to go back to after signing in."""
    return target if target.startswith("/ops") and "//" not in target else "/ops"


def _signed_in(response: Response, runtime: Runtime) -> Response:
    secure = (runtime.settings.public_url or "").startswith("https://")
    response.set_cookie(
        auth.SESSION_COOKIE, auth.new_session(runtime), max_age=auth.SESSION_SECONDS,
        path="/ops", httponly=True, samesite="strict", secure=secure,
    )  # fmt: skip
    return response


async def sign_in_page(request: Request, exc: Exception) -> Response:
    """A 401 on a page of /ops is the sign-in form (with the same status); elsewhere the JSON
    answer FastAPI gives."""
    on_a_page = request.url.path.startswith("/ops") and request.method == "GET"
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 401 and on_a_page:
        return page("login.html", 401, next=_local(request.url.path), failed=False)
    return await http_exception_handler(request, exc)  # type: ignore[arg-type]


def sign_in_from_query(current: Callable[[], Runtime]) -> Middleware:
    """`/ops…?token=…`: a valid token becomes a session and leaves the address at once (a
    303 to the same page without it), so it stays in no history, bookmark or Referer."""

    async def middleware(request: Request, call_next: CallNext) -> Response:
        given = request.query_params.get("token")
        if given is None or not request.url.path.startswith("/ops"):
            return await call_next(request)
        runtime = current()
        if not auth.token_is(given, runtime):
            return page("login.html", 401, next=request.url.path, failed=True)
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        return _signed_in(RedirectResponse(target, status_code=303), runtime)

    return middleware
