"""The ops page (`/ops`): templates by kind, channel and locale, a live preview against an editable
sample event (with SMS segments and encoding), safe edits, an order's timeline, and the
conversations handed to a person (shown and closed).

Plain server-rendered HTML and a few lines of script; no build step. Access needs
NOTIFIER_OPS_TOKEN: given once as `?token=` (kept in an HttpOnly cookie) or as a Bearer header.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from notifier.care import handoffs
from notifier.contract.events import parse_event
from notifier.errors import InvalidEvent, TemplateError
from notifier.messages import edit
from notifier.messages.check import shipped_locales
from notifier.messages.samples import SAMPLE_EVENT, facts_for_preview
from notifier.store.timeline import message_records
from notifier.vocabulary import Kind
from notifier.workers.runtime import Runtime

PAGES = jinja2.Environment(
    loader=jinja2.PackageLoader("notifier.http", "ops_pages"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
COOKIE = "notifier_ops"


class PreviewRequest(BaseModel):
    """What the editor sends for a live preview."""

    locale: str
    kind: str
    filename: str
    source: str
    event: str


def _authorized(request: Request, runtime: Runtime) -> bool:
    token = runtime.settings.ops_token
    if token is None:
        return False
    header = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    given = request.query_params.get("token") or request.cookies.get(COOKIE) or header
    return bool(given) and hmac.compare_digest(given, token.get_secret_value())


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(PAGES.get_template(name).render(**values), status_code=status)


def _matrix(root: Path) -> list[dict[str, Any]]:
    locales = shipped_locales(root)
    return [
        {
            "kind": kind.value,
            "files": [
                (locale, name, (root / locale / kind.value / name).is_file())
                for locale in locales
                for name in edit.FILES
            ],
        }
        for kind in Kind
        if any((root / locale / kind.value).is_dir() for locale in locales)
    ]


def _preview(runtime: Runtime, ask: PreviewRequest) -> dict[str, Any]:
    try:
        facts = facts_for_preview(parse_event(ask.event), ask.kind)
        shown = edit.preview(
            runtime.renderer, ask.locale, ask.kind, ask.filename, ask.source, facts
        )
    except InvalidEvent as exc:
        return {"ok": False, "error": f"sample event: {exc}"}
    except (TemplateError, ValueError) as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "text": shown.text, "segments": shown.segments, "encoding": shown.encoding}


def ops_router(current: Callable[[], Runtime]) -> APIRouter:
    """The /ops pages, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/ops", include_in_schema=False)

    def runtime_for(request: Request) -> Runtime:
        return _checked(current(), request)

    @router.get("", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        runtime = runtime_for(request)
        rows = _matrix(runtime.renderer.templates_dir)
        return remember(_page("index.html", rows=rows), request)

    @router.get("/templates/{locale}/{kind}/{filename}", response_class=HTMLResponse)
    def edit(request: Request, locale: str, kind: str, filename: str) -> Response:
        runtime = runtime_for(request)
        path = _template_path(runtime, locale, kind, filename)
        source = path.read_text(encoding="utf-8") if path.exists() else ""
        saved = request.query_params.get("saved")
        return remember(_editor(locale, kind, filename, source, saved=saved), request)

    @router.post("/templates/{locale}/{kind}/{filename}", response_class=HTMLResponse)
    def save(
        request: Request, locale: str, kind: str, filename: str,
        source: Annotated[str, Form()],
    ) -> Response:  # fmt: skip
        saved = _save(runtime_for(request), locale, kind, filename, source.replace("\r\n", "\n"))
        return remember(saved, request)

    @router.post("/preview")
    def preview(request: Request, ask: PreviewRequest) -> dict[str, Any]:
        return _preview(runtime_for(request), ask)

    @router.get("/orders", response_class=HTMLResponse)
    def timeline(request: Request, order_id: Annotated[str, Query(alias="id")] = "") -> Response:
        runtime = runtime_for(request)
        records = message_records(runtime.db_url, order_id=order_id) if order_id else []
        return remember(_page("timeline.html", order_id=order_id, records=records), request)

    @router.get("/handoffs", response_class=HTMLResponse)
    def handoff_list(request: Request) -> Response:
        listed = handoffs.records(runtime_for(request).db_url)
        return remember(_page("handoffs.html", handoffs=listed), request)

    @router.post("/handoffs/{handoff_id}/close")
    def handoff_close(request: Request, handoff_id: int) -> Response:
        try:
            handoffs.close(runtime_for(request), handoff_id)
        except handoffs.HandoffNotFound as exc:
            raise HTTPException(404, detail=[{"field": "id", "reason": str(exc)}]) from None
        return RedirectResponse("/ops/handoffs", status_code=303)

    return router


def _save(runtime: Runtime, locale: str, kind: str, filename: str, source: str) -> Response:
    """Save an edit that renders for every sample; else show the editor with the problems."""
    _template_path(runtime, locale, kind, filename)
    budget = runtime.policy.sms_max_segments
    problems = edit.check_candidate(runtime.renderer, locale, kind, filename, source, budget)
    if problems:
        return _editor(locale, kind, filename, source, problems=problems, status=422)
    edit.save(runtime.renderer.templates_dir, locale, kind, filename, source)
    return RedirectResponse(f"/ops/templates/{locale}/{kind}/{filename}?saved=1", status_code=303)


def _checked(runtime: Runtime, request: Request) -> Runtime:
    if not _authorized(request, runtime):
        raise HTTPException(403, detail=[{"field": "token", "reason": "ops token required"}])
    return runtime


def remember(response: Response, request: Request) -> Response:
    """Keep a token given in the URL in an HttpOnly cookie, so links need not carry it."""
    token = request.query_params.get("token")
    if token:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    return response


def _template_path(runtime: Runtime, locale: str, kind: str, filename: str) -> Path:
    try:
        return edit.template_path(runtime.renderer.templates_dir, locale, kind, filename)
    except ValueError as exc:
        raise HTTPException(404, detail=[{"field": "template", "reason": str(exc)}]) from None


def _editor(
    locale: str, kind: str, filename: str, source: str,
    problems: list[str] | None = None, saved: str | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    sample = json.dumps(SAMPLE_EVENT | {"customer": {**SAMPLE_EVENT["customer"], "locale": locale}},
                        ensure_ascii=False, indent=2)  # fmt: skip
    return _page(
        "edit.html", status, locale=locale, kind=kind, filename=filename, source=source,
        sample=sample, problems=problems or [], saved=bool(saved),
    )  # fmt: skip
