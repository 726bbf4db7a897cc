"""Twilio's HTTP layer on urllib3 directly: what `TwilioHttpClient` does, without `requests`.

Per message, `requests` costs about as much CPU as the rest of a send (preparing the request,
merging settings, hooks, its adapter). This client sends the same request on the wire as the
official requests-based client: method, URL and query string, the form-encoded body (a list
value as repeated keys), the headers the twilio client passes over requests' own defaults
(`Accept-Encoding`, `Accept: */*` when the twilio client sets none, `Connection: keep-alive`),
and HTTP Basic auth; it answers a `twilio.http.response.Response`.

What is ours, as in the requests-based `RoutedHttpClient`: the base URL (tests point it at a
local fake), an explicit timeout (connect and read), the `Retry-After` of each thread's last
answer, and the environment's proxies read once at construction. urllib3 never retries (a
POST is never sent twice by this layer) and, unless asked, follows no redirect.

Failures are raised as the exceptions `requests` raises for them, so that a caller of the
twilio client sees the same thing whichever client is underneath: `ReadTimeout` (the request
went out, no answer in time: Twilio may have created the message), `ConnectTimeout` and
`ConnectionError` (refused, DNS, reset), `SSLError`, `ProxyError`.

`requests` is still imported, off the hot path only: its environment-proxy and CA-bundle
helpers (the same ones the requests-based client uses) are called at construction.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from base64 import b64encode
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from requests import exceptions as rexc
from requests.utils import (
    DEFAULT_ACCEPT_ENCODING,
    DEFAULT_CA_BUNDLE_PATH,
    default_user_agent,
    get_auth_from_url,
    get_environ_proxies,
    prepend_scheme_if_needed,
    requote_uri,
    select_proxy,
)
from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response
from urllib3 import exceptions as u3exc
from urllib3.util import Retry, Timeout
from urllib3.util.ssl_ import create_urllib3_context

TWILIO_API = "https://api.twilio.com"
POOL_MAXSIZE = 32  # connections kept per host: enough for a worker's sending threads
_MAX_REDIRECTS = 30  # requests' own limit, for the rare caller that allows redirects
_JSON_TYPES = frozenset({"application/json", "application/scim+json"})
_BODILESS = frozenset({"GET", "HEAD"})
# Characters a URL may carry as is; any other makes the URL go through requests' requote_uri.
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
# What a requests Session sends unless the request says otherwise (requests.utils).
_SESSION_HEADERS = (
    ("User-Agent", default_user_agent()),
    ("Accept-Encoding", DEFAULT_ACCEPT_ENCODING),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)

_logger = logging.getLogger("twilio.http_client")


class PooledHttpClient(HttpClient):  # type: ignore[misc]
    """A `twilio.http.HttpClient` on urllib3 pools, for many sending threads at once."""

    def __init__(
        self,
        base_url: str = TWILIO_API,
        timeout: float | None = 10.0,
        *,
        maxsize: int = POOL_MAXSIZE,
        logger: logging.Logger = _logger,
    ) -> None:
        super().__init__(logger, False, timeout)
        self._base_url = base_url.rstrip("/")
        self._base_path = urlsplit(self._base_url).path
        # Read once, as the requests-based client does (`no_proxy` applied to the base URL).
        self._proxies: dict[str, str] = dict(get_environ_proxies(self._base_url))
        self._pool_kw: dict[str, Any] = {
            "maxsize": maxsize,
            "block": False,  # a burst beyond maxsize opens extra connections, never waits
            "retries": False,
            "timeout": _timeout(timeout),
            "ssl_context": _ssl_context(),
        }
        self._managers: dict[str | None, urllib3.PoolManager] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._auth: tuple[tuple[str, str], str] | None = None
        self._base_proxy = select_proxy(self._base_url, self._proxies)
        self._base_pool = self._direct_pool()

    # -- what the twilio client calls ------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, object] | str | bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request; raise requests' exceptions for what requests would raise."""
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        method = method.upper()
        rest = url[len(TWILIO_API) :] if url.startswith(TWILIO_API) else None
        if rest is not None:
            url = self._base_url + rest
        kwargs: dict[str, Any] = {
            "method": method,
            "url": url,
            "params": params,
            "headers": headers,
            "auth": auth,
        }
        json_body = (headers.get("Content-Type") if headers else None) in _JSON_TYPES
        kwargs["json" if json_body else "data"] = data
        if self.logger.isEnabledFor(logging.INFO):
            self.log_request(kwargs)
        self._test_only_last_response = None
        self._test_only_last_request = TwilioRequest(**kwargs)
        body = _json_body(data) if json_body else _form_body(data)
        sent_headers = self._headers(headers, auth, body is not None and not json_body, data)
        query = _encode_pairs(params) if params else ""
        if query:
            url += ("&" if "?" in url else "?") + query
            if rest is not None:
                rest += ("&" if "?" in rest else "?") + query
        if _URL_UNSAFE.search(url):
            url, rest = requote_uri(url), None
        self._local.retry_after = None
        answer = self._send(method, url, rest, body, sent_headers, timeout, allow_redirects)
        response = Response(answer.status, _text(answer), answer.headers)
        self._local.retry_after = _retry_after(answer.headers)
        if self.logger.isEnabledFor(logging.INFO):
            self.log_response(response.status_code, response)
        self._test_only_last_response = response
        return response

    def last_retry_after(self) -> float | None:
        """The Retry-After (seconds) of this thread's last answer, if it had one."""
        value: float | None = getattr(self._local, "retry_after", None)
        return value

    def close(self) -> None:
        """Close every pooled connection; a later request opens new ones."""
        with self._lock:
            managers = list(self._managers.values())
        for manager in managers:
            manager.clear()
        self._base_pool = self._direct_pool()

    @property
    def base_connections_opened(self) -> int:
        """How many connections the base URL's pool has opened so far (0 through a proxy)."""
        return self._base_pool.num_connections if self._base_pool is not None else 0

    # -- the request -----------------------------------------------------------------------

    def _headers(
        self,
        given: Mapping[str, str | None] | None,
        auth: tuple[str, str] | None,
        form: bool,
        data: object,
    ) -> dict[str, str]:
        """requests' merge: the session's defaults, the request's headers over them (a None
        value removes one), then Basic auth; a form body without a Content-Type gets one."""
        merged = {name.lower(): (name, value) for name, value in _SESSION_HEADERS}
        for name, value in (given or {}).items():
            if value is None:
                merged.pop(name.lower(), None)
            else:
                merged[name.lower()] = (name, value)
        if auth is not None:
            merged["authorization"] = ("Authorization", self._basic(auth))
        if form and isinstance(data, Mapping) and "content-type" not in merged:
            merged["content-type"] = ("Content-Type", "application/x-www-form-urlencoded")
        return dict(merged.values())

    def _basic(self, auth: tuple[str, str]) -> str:
        cached = self._auth
        if cached is not None and cached[0] == auth:
            return cached[1]
        value = _basic_auth(*auth)
        self._auth = (auth, value)
        return value

    def _send(
        self,
        method: str,
        url: str,
        rest: str | None,
        body: bytes | None,
        headers: dict[str, str],
        timeout: float | None,
        allow_redirects: bool,
    ) -> urllib3.BaseHTTPResponse:
        options: dict[str, Any] = {
            "body": body,
            "headers": headers,
            "timeout": _timeout(timeout) if timeout != self.timeout else self._pool_kw["timeout"],
            "preload_content": True,
            "decode_content": True,
        }
        try:
            pool = self._base_pool
            if pool is not None and rest is not None and rest[:1] in ("/", "?", ""):
                target = (self._base_path + rest) or "/"
                return pool.urlopen(method, target, redirect=False, retries=False, **options)
            retries: Retry | bool = False
            if allow_redirects:
                retries = Retry(
                    total=None, connect=0, read=0, status=0, other=0,
                    redirect=_MAX_REDIRECTS, raise_on_redirect=False,
                )  # fmt: skip
            manager = self._manager(select_proxy(url, self._proxies))
            return manager.urlopen(
                method, url, redirect=allow_redirects, retries=retries, **options
            )
        except u3exc.MaxRetryError as exc:  # only with redirects allowed: the cause inside
            raise _as_requests_error(exc.reason or exc) from exc
        except (u3exc.HTTPError, OSError) as exc:
            raise _as_requests_error(exc) from exc

    # -- pools -----------------------------------------------------------------------------

    def _direct_pool(self) -> urllib3.HTTPConnectionPool | None:
        """The base URL's own pool, when no proxy stands in between (the hot path)."""
        if self._base_proxy is not None:
            return None
        return self._manager(None).connection_from_url(self._base_url)

    def _manager(self, proxy: str | None) -> urllib3.PoolManager:
        manager = self._managers.get(proxy)
        if manager is not None:
            return manager
        with self._lock:
            if proxy not in self._managers:
                self._managers[proxy] = _new_manager(proxy, self._pool_kw)
            return self._managers[proxy]


def _new_manager(proxy: str | None, pool_kw: dict[str, Any]) -> urllib3.PoolManager:
    """A PoolManager, or a ProxyManager for `proxy` as requests' HTTPAdapter makes it."""
    if proxy is None:
        return urllib3.PoolManager(**pool_kw)
    proxy = prepend_scheme_if_needed(proxy, "http")
    username, password = get_auth_from_url(proxy)
    if proxy.lower().startswith("socks"):
        from urllib3.contrib.socks import SOCKSProxyManager  # needs PySocks, as in requests

        socks: urllib3.PoolManager = SOCKSProxyManager(
            proxy, username=username or None, password=password or None, **pool_kw
        )
        return socks
    proxy_headers = {"Proxy-Authorization": _basic_auth(username, password)} if username else {}
    return urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **pool_kw)


def _ssl_context() -> Any:
    """One context for every connection, trusting what requests trusts (certifi's bundle):
    loading the bundle once, not per new connection."""
    context = create_urllib3_context()
    context.load_verify_locations(DEFAULT_CA_BUNDLE_PATH)
    return context


def _timeout(seconds: float | None) -> Timeout:
    return Timeout(connect=seconds, read=seconds)


def _basic_auth(username: str, password: str) -> str:
    """requests' `_basic_auth_str`: latin-1, base64."""
    token = b64encode(f"{username}:{password}".encode("latin1")).decode("ascii")
    return f"Basic {token}"


def _encode_pairs(data: Mapping[str, object]) -> str:
    """requests' `_encode_params` for a mapping: a list value as repeated keys, None dropped."""
    return urlencode(list(_pairs(data)), doseq=True)


def _pairs(data: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    for key, values in data.items():
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            values = [values]
        for value in values:
            if value is not None:
                yield key, value


def _form_body(data: Mapping[str, object] | str | bytes | None) -> bytes | None:
    if not data:
        return None
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    return _encode_pairs(data).encode("ascii")


def _json_body(data: object) -> bytes | None:
    return None if data is None else json.dumps(data, allow_nan=False).encode("utf-8")


def _text(answer: urllib3.BaseHTTPResponse) -> str:
    """The body as requests' `Response.text` reads it: the charset the Content-Type names,
    else ISO-8859-1 for text/* and UTF-8 otherwise (requests would guess; Twilio is JSON)."""
    raw = answer.data
    if not raw:
        return ""
    content_type = answer.headers.get("Content-Type", "")
    media, _, params = content_type.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip("'\"")
            break
    else:
        if "text" in media.lower():
            charset = "ISO-8859-1"
    try:
        return raw.decode(charset, "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def _as_requests_error(exc: BaseException) -> rexc.RequestException:
    """What requests' HTTPAdapter raises for the same urllib3 failure, except that a read
    timeout is ReadTimeout whether it struck before the status line or within the body (requests
    calls the latter ConnectionError; either way Twilio may have the message)."""
    if isinstance(exc, u3exc.ReadTimeoutError):
        return rexc.ReadTimeout(exc)
    if isinstance(exc, u3exc.ConnectTimeoutError) and not isinstance(exc, u3exc.NewConnectionError):
        return rexc.ConnectTimeout(exc)
    if isinstance(exc, u3exc.ProxyError):
        return rexc.ProxyError(exc)
    if isinstance(exc, u3exc.SSLError):
        return rexc.SSLError(exc)
    if isinstance(exc, u3exc.DecodeError):
        return rexc.ContentDecodingError(exc)
    if isinstance(exc, u3exc.LocationValueError):
        return rexc.InvalidURL(exc)
    if isinstance(exc, u3exc.InvalidHeader):
        return rexc.InvalidHeader(exc)
    # Refused, DNS, reset, a closed pool, a broken answer: requests' ConnectionError.
    return rexc.ConnectionError(exc)
