"""The ops dashboard (`/ops/dashboard`): the report (`GET /report`) for a period drawn as charts
with Chart.js, vendored in `ops_pages/static` (see its README there) so that the page needs no
network, no CDN and no build step.

The page is behind the ops session like the rest of /ops (a 401 is the sign-in form). The
library and the page's script (`/ops/static/chart.js`, `/ops/static/dashboard.js`) hold no
customer data and are served to anyone, so that they load however the page was signed in to;
they are cached for a day. Like all of /ops, none of it is in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, Response

from notifier.http import auth
from notifier.http.ops_session import page
from notifier.http.report import report_for
from notifier.workers.runtime import Runtime

SCRIPTS = {"chart.js": "chart.umd.min.js", "dashboard.js": "dashboard.js"}  # served: stored


def static_script(name: str) -> bytes:
    """A script of ops_pages/static (the vendored Chart.js UMD build, the dashboard's own), as
    shipped in the package."""
    return files("notifier.http").joinpath("ops_pages", "static", SCRIPTS[name]).read_bytes()


def dashboard_router(current: Callable[[], Runtime]) -> APIRouter:
    """/ops/dashboard and /ops/static/{chart,dashboard}.js (mounted under the /ops router)."""
    router = APIRouter()
    scripts = {name: static_script(name) for name in SCRIPTS}

    @router.get("/static/{name}")
    def script(name: str) -> Response:
        if name not in scripts:
            raise HTTPException(404, detail=[{"field": "name", "reason": "no such script"}])
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(scripts[name], media_type="text/javascript", headers=headers)

    @router.get("/dashboard", response_class=HTMLResponse)
    def dashboard(
        request: Request, since: datetime | None = None, until: datetime | None = None
    ) -> Response:
        runtime = auth.require_ops(current(), request)
        report = jsonable_encoder(report_for(runtime, since, until))
        held = auth.session(request, runtime)
        csrf = held.get(auth.CSRF_FIELD, "") if held else ""
        return page("dashboard.html", report=report, csrf=csrf)

    return router
