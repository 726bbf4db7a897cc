"""Twilio's webhooks: status callbacks and inbound messages, each signature-checked.

The signature covers the exact public URL Twilio called and every form parameter, so the URL is
rebuilt from NOTIFIER_PUBLIC_URL (what Twilio was given), not from what a proxy forwarded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from twilio.request_validator import RequestValidator

from notifier.care.inbound import Tap, handle_inbound
from notifier.http.openapi import problems
from notifier.pipeline.status import apply_status
from notifier.workers.runtime import Runtime

TWIML: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML: the reply, if any", "content": {"application/xml": {}}}
}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _public_url(request: Request, runtime: Runtime) -> str:
    base = runtime.settings.public_url
    if not base:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return base.rstrip("/") + request.url.path + query


async def _verified_form(
    request: Request, runtime: Runtime, signature: str | None
) -> dict[str, str]:
    form = {key: str(value) for key, value in (await request.form()).items()}
    token = runtime.settings.twilio_auth_token
    if token is None or signature is None:
        raise HTTPException(403, detail=[{"field": "X-Twilio-Signature", "reason": "missing"}])
    validator = RequestValidator(token.get_secret_value())
    if not validator.validate(_public_url(request, runtime), form, signature):
        raise HTTPException(403, detail=[{"field": "X-Twilio-Signature", "reason": "invalid"}])
    return form


def _twiml(reply: str | None) -> Response:
    if reply is None:
        return Response(EMPTY_TWIML, media_type="application/xml")
    body = EMPTY_TWIML.replace("<Response>", f"<Response><Message>{escape(reply)}</Message>")
    return Response(body, media_type="application/xml")


def twilio_router(current: Callable[[], Runtime]) -> APIRouter:
    """The /webhooks/twilio/* endpoints, bound to the runtime getter of the app."""
    router = APIRouter(prefix="/webhooks/twilio", responses=problems(403))

    @router.post("/status", status_code=204, response_class=Response)
    async def status(
        request: Request, x_twilio_signature: Annotated[str | None, Header()] = None
    ) -> Response:
        """A message's status moved at Twilio: delivered, undelivered or failed."""
        runtime = current()
        form = await _verified_form(request, runtime, x_twilio_signature)
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        state = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        code = form.get("ErrorCode") or None
        await run_in_threadpool(apply_status, runtime, sid, state, code)
        return Response(status_code=204)

    @router.post("/inbound", response_class=Response, responses=TWIML)
    async def inbound(
        request: Request, x_twilio_signature: Annotated[str | None, Header()] = None
    ) -> Response:
        """A customer wrote to us: a tap or a numbered reply answering one of our messages
        (`ButtonPayload`, `OriginalRepliedMessageSid`), STOP/START/HELP, or anything else (a
        handoff to a person); any message opens the WhatsApp window."""
        runtime = current()
        form = await _verified_form(request, runtime, x_twilio_signature)
        sid = form.get("MessageSid") or form.get("SmsSid")
        tap = Tap(form.get("ButtonPayload") or None, form.get("OriginalRepliedMessageSid") or None)
        reply = await run_in_threadpool(
            handle_inbound, runtime, form.get("From", ""), form.get("Body", ""), sid, tap
        )
        return _twiml(reply)

    return router
