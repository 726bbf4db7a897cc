"""The ops page (`/ops`): templates by kind, channel and locale, a live preview against an editable
sample event (with SMS segments and encoding), safe edits, an order's timeline, and the
conversations handed to a person (shown and closed); the dashboard's charts (http/dashboard).

Plain server-rendered HTML and a few lines of script; no build step. Access needs
NOTIFIER_OPS_TOKEN: typed once into the sign-in form (or given once as `?token=`, which is taken
out of the address at once), then a signed session cookie (http/auth), or a Bearer header.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from notifier.care import handoffs
from notifier.contract.events import parse_event
from notifier.errors import InvalidEvent, TemplateError
from notifier.http import auth
from notifier.http.dashboard import dashboard_router
from notifier.http.ops_session import page, session_router
from notifier.messages import edit
from notifier.messages.check import shipped_locales
from notifier.messages.samples import SAMPLE_EVENT, facts_for_preview
from notifier.store.timeline import message_records
from notifier.vocabulary import Kind
from notifier.workers.runtime import Runtime

MAX_ID = 2**63 - 1  # the largest id a BIGINT holds; above it nothing can exist


class PreviewRequest(BaseModel):
    """What the editor sends for a live preview."""

    locale: str
    kind: str
    filename: str
    source: str
    event: str


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
            runtime.renderer, ask.locale, ask.kind, ask.filename, ask.source, facts,
            runtime.policy.sms_transliterate,
        )  # fmt: skip
    except InvalidEvent as exc:
        return {"ok": False, "error": f"sample event: {exc}"}
    except (TemplateError, ValueError) as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "text": shown.text, "segments": shown.segments, "encoding": shown.encoding}


def ops_router(current: Callable[[], Runtime]) -> APIRouter:
    """The /ops pages, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/ops", include_in_schema=False)
    router.include_router(session_router(current))
    router.include_router(dashboard_router(current))

    def runtime_for(request: Request) -> Runtime:
        return auth.require_ops(current(), request)

    @router.get("", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        runtime = runtime_for(request)
        rows = _matrix(runtime.renderer.templates_dir)
        return page("index.html", rows=rows, csrf=_csrf(request, runtime))

    @router.get("/templates/{locale}/{kind}/{filename}", response_class=HTMLResponse)
    def edit(request: Request, locale: str, kind: str, filename: str) -> Response:
        runtime = runtime_for(request)
        path = _template_path(runtime, locale, kind, filename)
        source = path.read_text(encoding="utf-8") if path.exists() else ""
        saved = request.query_params.get("saved")
        where = _Where(locale, kind, filename, _csrf(request, runtime))
        return _editor(where, source, saved=saved)

    @router.post("/templates/{locale}/{kind}/{filename}", response_class=HTMLResponse)
    def save(
        request: Request, locale: str, kind: str, filename: str,
        source: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
    ) -> Response:  # fmt: skip
        runtime = current()
        auth.require_csrf(runtime, request, csrf)
        where = _Where(locale, kind, filename, _csrf(request, runtime))
        return _save(runtime, where, source.replace("\r\n", "\n"))

    @router.post("/preview")
    def preview(request: Request, ask: PreviewRequest) -> dict[str, Any]:
        runtime = current()
        auth.require_csrf(runtime, request, request.headers.get(auth.CSRF_HEADER))
        return _preview(runtime, ask)

    @router.get("/orders", response_class=HTMLResponse)
    def timeline(request: Request, order_id: Annotated[str, Query(alias="id")] = "") -> Response:
        runtime = runtime_for(request)
        records = message_records(runtime.db_url, order_id=order_id) if order_id else []
        csrf = _csrf(request, runtime)
        return page("timeline.html", order_id=order_id, records=records, csrf=csrf)

    @router.get("/handoffs", response_class=HTMLResponse)
    def handoff_list(request: Request) -> Response:
        runtime = runtime_for(request)
        listed = handoffs.records(runtime.db_url)
        return page("handoffs.html", handoffs=listed, csrf=_csrf(request, runtime))

    @router.post("/handoffs/{handoff_id}/close")
    def handoff_close(
        request: Request, handoff_id: Annotated[int, FastPath(ge=1, le=MAX_ID)],
        csrf: Annotated[str, Form()] = "",
    ) -> Response:  # fmt: skip
        runtime = current()
        auth.require_csrf(runtime, request, csrf)
        try:
            handoffs.close(runtime, handoff_id)
        except handoffs.HandoffNotFound as exc:
            raise HTTPException(404, detail=[{"field": "id", "reason": str(exc)}]) from None
        return RedirectResponse("/ops/handoffs", status_code=303)

    return router


class _Where(NamedTuple):
    """The template being edited, and the session's CSRF token for its form."""

    locale: str
    kind: str
    filename: str
    csrf: str


def _save(runtime: Runtime, where: _Where, source: str) -> Response:
    """Save an edit that renders for every sample; else show the editor with the problems."""
    locale, kind, filename, _ = where
    _template_path(runtime, locale, kind, filename)
    problems = edit.check_candidate(
        runtime.renderer, locale, kind, filename, source, runtime.policy
    )
    if problems:
        return _editor(where, source, problems=problems, status=422)
    edit.save(runtime.renderer.templates_dir, locale, kind, filename, source)
    return RedirectResponse(f"/ops/templates/{locale}/{kind}/{filename}?saved=1", status_code=303)


def _csrf(request: Request, runtime: Runtime) -> str:
    held = auth.session(request, runtime)
    return held.get(auth.CSRF_FIELD, "") if held else ""


def _template_path(runtime: Runtime, locale: str, kind: str, filename: str) -> Path:
    try:
        return edit.template_path(runtime.renderer.templates_dir, locale, kind, filename)
    except ValueError as exc:
        raise HTTPException(404, detail=[{"field": "template", "reason": str(exc)}]) from None


def _editor(
    where: _Where, source: str,
    problems: list[str] | None = None, saved: str | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    locale, kind, filename, csrf = where
    sample = json.dumps(SAMPLE_EVENT | {"customer": {**SAMPLE_EVENT["customer"], "locale": locale}},
                        ensure_ascii=False, indent=2)  # fmt: skip
    return page(
        "edit.html", status, locale=locale, kind=kind, filename=filename, source=source,
        sample=sample, problems=problems or [], saved=bool(saved), csrf=csrf,
    )  # fmt: skip
