"""The ops dashboard in a real headless Chromium (Debian's), driven by Playwright against a real
server (uvicorn in a thread) over the demo's store week on SQLite.

It signs in with the form, opens the dashboard for the week, waits for the charts, checks each
holds data (the CSAT chart its one 2, the cart funnel 1 reminded → 1 recovered) and that nothing
but the server was asked for anything: the page works with no network. Saves a full-page
screenshot to artifacts/dashboard.png.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import uvicorn
from playwright.sync_api import Page, Route, sync_playwright
from pydantic import SecretStr

from notifier.cli import demo
from notifier.http.app import create_app
from notifier.workers.runtime import build_runtime
from tests.conftest import ROOT, TEMPLATES, unavailable, wait_until
from tests.fakes.smtp import free_port

pytestmark = pytest.mark.slow
TOKEN = "dashboard-ops-token"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = ROOT / "artifacts" / "dashboard.png"
WEEK = {"since": "2026-11-10T14:00:00Z", "until": "2026-11-24T12:00:00Z"}
CHARTS = ["by-channel", "by-status", "cost", "funnels", "clicks", "csat", "handoffs",
          "handoff-minutes"]  # fmt: skip


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    """The API over the demo's week, served by uvicorn on a free loopback port."""
    settings = demo.demo_settings(sqlite_url, TEMPLATES, tmp_path, ops_token=SecretStr(TOKEN))
    clock = demo.SimulatedClock()
    runtime = build_runtime(settings, clock=clock, console=io.StringIO())
    demo.play_week(runtime, clock, io.StringIO())
    port = free_port()
    # log_config=None: the test process keeps its own logging (uvicorn would rewire its loggers)
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Page]:
    """A page of headless Debian Chromium (no `playwright install`)."""
    if not Path(CHROMIUM).exists():
        unavailable("Chromium", FileNotFoundError(CHROMIUM))
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser.new_page(viewport={"width": 1280, "height": 1000})
        browser.close()


def offline(page: Page) -> list[str]:
    """Refuse every request that is not to the loopback server; the list of those refused."""
    refused: list[str] = []

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return refused


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/ops/login")
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/ops")


def chart_values(page: Page, name: str) -> list[list[float]]:
    script = "id => Chart.getChart(id).data.datasets.map(set => set.data)"
    values: list[list[float]] = page.evaluate(script, f"chart-{name}")
    return values


def test_the_dashboard_draws_the_demo_week_with_no_network(site: str, browser_page: Page) -> None:
    page = browser_page
    refused = offline(page)
    sign_in(page, site)
    page.goto(f"{site}/ops/dashboard?{urlencode(WEEK)}")
    page.wait_for_selector("body[data-charts-ready]", timeout=15_000)
    assert page.get_attribute("body", "data-charts-ready") == str(len(CHARTS))
    for name in CHARTS:
        points = page.get_attribute(f"#chart-{name}", "data-points")
        assert points is not None and int(points) > 0, name
    assert chart_values(page, "csat") == [[0, 1, 0, 0, 0]]  # one score, a 2
    days = page.evaluate("() => Chart.getChart('chart-by-channel').data.labels")
    assert days == [f"2026-11-{day}" for day in range(10, 25)]  # quiet days too (11-15)
    [reminded, recovered] = chart_values(page, "funnels")
    assert (reminded[0], recovered[0]) == (1, 1)  # João's cart
    assert (reminded[1], recovered[1]) == (2, 1)  # the win-backs: Emily came back
    assert chart_values(page, "clicks") == [[1], [1]]  # his tap on the second reminder's link
    assert "1 on 1 message" in page.inner_text("#link-clicks")
    assert "0.5878" in page.inner_text("#total-cost") and "189.90 BRL" in page.inner_text("body")
    assert not re.search(r"""(src|href)=["']?https?:""", page.content())
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert refused == []
