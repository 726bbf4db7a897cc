"""The HTTP API (CONTRACT §5): events in, timelines, handoffs and health out."""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import partial
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from notifier import metrics
from notifier.contract.events import MAX_EVENT_BYTES
from notifier.errors import FieldProblem, InvalidEvent
from notifier.http.auth import UNAUTHORIZED, require_ops
from notifier.http.batching import IngestBatcher
from notifier.http.body import read_limited
from notifier.http.choices import choices_router
from notifier.http.handoffs import handoffs_router
from notifier.http.metrics import exposition
from notifier.http.openapi import events_request_body, problems
from notifier.http.openapi import install as install_openapi
from notifier.http.ops import ops_router
from notifier.http.ops_session import sign_in_from_query, sign_in_page
from notifier.http.platforms import platform_router
from notifier.http.report import report_router
from notifier.http.short_links import short_links_router
from notifier.http.twilio import twilio_router
from notifier.http.unsubscribe import unsubscribe_router
from notifier.intake.ingest import ValidEvent, store_and_enqueue, validate, validate_decoded
from notifier.store.db import get_engine
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, get_runtime

MAX_BATCH_BYTES = 16 * MAX_EVENT_BYTES
METRICS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Prometheus text format", "content": {CONTENT_TYPE_LATEST: {}}}
}
HEALTH: dict[int | str, dict[str, Any]] = {
    503: {"description": "The database or the broker does not answer (the part is named)"}
}


def _problems(problems: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"field": p.field, "reason": p.reason} for p in problems]


def _rejection(status: int, problems: list[FieldProblem]) -> HTTPException:
    return HTTPException(status_code=status, detail=_problems(problems))


def _check_signature(body: bytes, header: str | None, runtime: Runtime) -> None:
    secret = runtime.settings.ingest_secret
    if secret is None:
        return
    expected = (
        "sha256=" + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    )
    if header is None or not hmac.compare_digest(header, expected):
        why = "missing" if header is None else "does not match the body"
        raise _rejection(401, [FieldProblem("X-Notifier-Signature", f"signature {why}")])


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problem = FieldProblem("(body)", f"invalid JSON: {exc}")
        metrics.count_rejection(None, [problem])
        raise _rejection(400, [problem]) from None


def _validate_batch(items: list[Any]) -> list[ValidEvent]:
    valid, problems, status = [], [], 422
    for index, item in enumerate(items):
        try:
            valid.append(validate_decoded(item))
        except InvalidEvent as exc:
            status = max(status, exc.status)
            problems += [FieldProblem(f"[{index}].{p.field}", p.reason) for p in exc.problems]
    if problems:
        raise _rejection(status, problems)
    return valid


def _validate_body(body: bytes) -> list[ValidEvent]:
    decoded = _decode(body)
    if isinstance(decoded, list):
        return _validate_batch(decoded)
    try:
        return [validate(body)]
    except InvalidEvent as exc:
        raise _rejection(exc.status, exc.problems) from None


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The API bound to a runtime (the environment's when none is given)."""
    app = FastAPI(title="Notifier", version="0.1.0")
    install_openapi(app)

    def current() -> Runtime:
        return runtime or get_runtime()

    batchers: list[IngestBatcher] = []

    def batcher(rt: Runtime) -> IngestBatcher:
        if not batchers:
            batchers.append(IngestBatcher(partial(store_and_enqueue, rt)))
        return batchers[0]

    @app.post(
        "/events", status_code=202, responses=problems(400, 401, 413, 422),
        openapi_extra={"requestBody": events_request_body()},
    )  # fmt: skip
    async def post_events(
        request: Request,
        x_notifier_signature: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """One event or an array: 202 with the accepted ids; every rejection names its field."""
        body = await read_limited(request, MAX_BATCH_BYTES, "request")
        rt = current()
        _check_signature(body, x_notifier_signature, rt)
        valid = _validate_body(body)
        if rt.settings.is_embedded:  # storing does all the work here: off the event loop
            accepted = await run_in_threadpool(store_and_enqueue, rt, valid)
        else:
            accepted = await batcher(rt).accept(valid)
        return {"accepted": [{"event_id": a.event_id, "duplicate": a.duplicate} for a in accepted]}

    @app.get("/orders/{order_id}/messages", responses=UNAUTHORIZED)
    def order_messages(request: Request, order_id: str) -> list[dict[str, Any]]:
        """The order's message timeline, oldest first (needs the ops token)."""
        return message_records(require_ops(current(), request).db_url, order_id=order_id)

    app.include_router(twilio_router(current))
    app.include_router(platform_router(current))
    app.include_router(ops_router(current))
    app.middleware("http")(sign_in_from_query(current))
    app.add_exception_handler(StarletteHTTPException, sign_in_page)
    app.include_router(handoffs_router(current))
    app.include_router(report_router(current))
    app.include_router(unsubscribe_router(current))
    app.include_router(choices_router(current))
    app.include_router(short_links_router(current))

    @app.get("/metrics", response_class=PlainTextResponse, responses=METRICS)
    def prometheus() -> PlainTextResponse:
        """Prometheus metrics (text format)."""
        body = exposition(current())
        return PlainTextResponse(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", responses=HEALTH)
    def healthz() -> JSONResponse:
        """200 when the database and the broker answer; 503 naming the part that does not."""
        return _health(current())

    return app


def _health(runtime: Runtime) -> JSONResponse:
    parts: dict[str, str] = {}
    try:
        with get_engine(runtime.db_url).connect() as connection:
            connection.execute(text("SELECT 1"))
        parts["database"] = "ok"
    except Exception as exc:  # any failure to reach it is the answer
        parts["database"] = f"failing: {type(exc).__name__}"
    try:
        runtime.dispatcher.ping()
        parts["broker"] = "ok"
    except Exception as exc:
        parts["broker"] = f"failing: {type(exc).__name__}"
    healthy = all(value == "ok" for value in parts.values())
    return JSONResponse(
        {"status": "ok" if healthy else "failing", **parts}, 200 if healthy else 503
    )


app = create_app()
