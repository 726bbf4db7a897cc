"""The ops dashboard over HTTP: behind the ops session, the report embedded safely as JSON, the
vendored Chart.js served from the package, no address outside the server."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.cli import demo
from notifier.http.app import create_app
from notifier.workers.runtime import build_runtime
from tests.conftest import settings_for

TOKEN = "dashboard-token"
WEEK = {"since": "2026-11-10T14:00:00Z", "until": "2026-11-24T12:00:00Z"}
EMBEDDED = re.compile(r'<script type="application/json" id="report">(.*?)</script>', re.S)


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, ops_token=SecretStr(TOKEN), shop_name=demo.DEMO_SHOP)
    runtime = build_runtime(settings, clock=demo.SimulatedClock(), console=io.StringIO())
    yield TestClient(create_app(runtime))
    runtime.close()


def test_the_dashboard_needs_the_ops_session(client: TestClient) -> None:
    answer = client.get("/ops/dashboard")
    assert answer.status_code == 401 and 'name="token"' in answer.text  # the sign-in form
    wrong = client.get("/ops/dashboard", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.post("/ops/login", data={"token": TOKEN}).status_code == 200  # after /ops
    assert client.get("/ops/dashboard").status_code == 200


def test_the_dashboard_embeds_the_report_and_loads_only_local_scripts(client: TestClient) -> None:
    answer = client.get("/ops/dashboard", params=WEEK, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    found = EMBEDDED.search(answer.text)
    assert found is not None and "<" not in found.group(1)  # tojson escapes </script>
    report = json.loads(found.group(1))
    assert report["since"].startswith("2026-11-10T14:00") and report["csat"]["count"] == 0
    sources = re.findall(r'<script[^>]* src="([^"]+)"', answer.text)
    assert sources == ["/ops/static/chart.js", "/ops/static/dashboard.js"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", answer.text)
    assert 'href="/ops/dashboard"' in answer.text  # in the navigation


def test_a_time_without_its_offset_or_a_backward_period_is_refused(client: TestClient) -> None:
    naive = client.get("/ops/dashboard", params={"since": "2026-11-10T14:00:00"},
                       headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert naive.status_code == 422 and "since" in naive.text
    backwards = {"since": WEEK["until"], "until": WEEK["since"]}
    reversed_ = client.get("/ops/dashboard", params=backwards,
                           headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert reversed_.status_code == 422


def test_the_vendored_chart_js_is_served_to_anyone(client: TestClient) -> None:
    script = client.get("/ops/static/chart.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (
        "Chart.js v4.6.2" in script.text[:200] and "Released under the MIT License" in script.text
    )
    assert client.get("/ops/static/dashboard.js").status_code == 200
    assert client.get("/ops/static/nothing.js").status_code == 404
