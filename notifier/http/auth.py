"""Who may read customers' data: the ops token, as a Bearer header or as a signed ops session.

Every endpoint that shows or changes a customer's data needs NOTIFIER_OPS_TOKEN (CONTRACT §6);
with the setting unset they are closed (401), never open. A person on the ops page signs in once
with the token; the browser then holds a session cookie signed with the token (itsdangerous),
which carries no token, expires after SESSION_SECONDS, and dies when the token changes. Forms
that change something carry the session's CSRF token; Bearer calls need none (a browser never
adds that header by itself).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from notifier.http.openapi import problems
from notifier.workers.runtime import Runtime

SESSION_COOKIE = "notifier_ops_session"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
UNAUTHORIZED = problems(401)


def same_secret(given: str, secret: str) -> bool:
    """Constant-time comparison that any text (non-ASCII too) can be given to."""
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def _signer(token: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(token, salt="notifier-ops-session")


def bearer(request: Request) -> str:
    """The Bearer token of the request, or ''."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def new_session(runtime: Runtime) -> str:
    """A signed session cookie value: a fresh CSRF token, no secret."""
    token = _token(runtime)
    assert token is not None, "a session is only made after the token was checked"
    return str(_signer(token).dumps({CSRF_FIELD: secrets.token_urlsafe(24)}))


def session(request: Request, runtime: Runtime) -> dict[str, str] | None:
    """The request's valid, unexpired session, if it has one."""
    token, cookie = _token(runtime), request.cookies.get(SESSION_COOKIE)
    if token is None or not cookie:
        return None
    try:
        loaded = _signer(token).loads(cookie, max_age=SESSION_SECONDS)
    except BadSignature:  # SignatureExpired is one
        return None
    return loaded if isinstance(loaded, dict) else None


def token_is(given: str, runtime: Runtime) -> bool:
    """Whether a token a person or a caller gave is the ops token."""
    token = _token(runtime)
    return token is not None and bool(given) and same_secret(given, token)


def require_ops(runtime: Runtime, request: Request) -> Runtime:
    """The runtime, when the request carries the ops token (Bearer) or a valid ops session."""
    if token_is(bearer(request), runtime) or session(request, runtime) is not None:
        return runtime
    raise unauthorized()


def require_csrf(runtime: Runtime, request: Request, sent: str | None) -> None:
    """A change made with the session cookie must carry the session's CSRF token."""
    if token_is(bearer(request), runtime):
        return
    held = session(request, runtime)
    if held is None:
        raise unauthorized()
    if not sent or not same_secret(sent, held.get(CSRF_FIELD, "")):
        raise HTTPException(
            403, detail=[{"field": CSRF_FIELD, "reason": "missing or wrong CSRF token"}]
        )


def unauthorized() -> HTTPException:
    """401 naming what is missing."""
    return HTTPException(
        401,
        detail=[{"field": "Authorization", "reason": "ops token required (Bearer)"}],
        headers={"WWW-Authenticate": "Bearer"},
    )


def _token(runtime: Runtime) -> str | None:
    token = runtime.settings.ops_token
    return token.get_secret_value() if token is not None else None
