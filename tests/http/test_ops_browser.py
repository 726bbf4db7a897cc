"""The ops page in a real headless Chromium (Debian's), driven by Selenium against `notifier api`.

Opens the page, previews a template against an edited sample event, saves an edit, sees a broken
edit refused with its error, and looks up an order's timeline. Saves a screenshot of the editor
to artifacts/ops-page.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import (
    ROOT,
    TEMPLATES,
    answers,
    app_env,
    journey,
    notifier_command,
    unavailable,
    wait_until,
)
from tests.conftest import stop as stop_process
from tests.fakes.smtp import free_port

pytestmark = pytest.mark.slow
TOKEN = "browser-ops-token"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = ROOT / "artifacts" / "ops-page.png"


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`notifier api` on a free port, with its own copy of the templates; the journey in."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    port = free_port()
    env = app_env(sqlite_url, "memory://", NOTIFIER_OPS_TOKEN=TOKEN)
    env["NOTIFIER_TEMPLATES_DIR"] = str(templates)
    server = subprocess.Popen(notifier_command("api", "--port", str(port)), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/healthz"), what="the API to start")
        request = urllib.request.Request(f"{base}/events", data=json.dumps(journey()).encode())
        urllib.request.urlopen(request, timeout=30).close()
        yield base, templates
    finally:
        stop_process(server)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Debian Chromium, with nothing reaching out to the network by itself."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        unavailable("Chromium and chromedriver", FileNotFoundError(CHROMIUM))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path / 'chromium'}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def fill(driver: WebDriver, element: WebElement, text: str) -> None:
    """Set a textarea's value as a paste would, firing its input event."""
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        element,
        text,
    )


def wait_for_text(driver: WebDriver, element_id: str, text: str) -> None:
    WebDriverWait(driver, 10, 0.1).until(
        lambda d: text in d.find_element(By.ID, element_id).text,
        message=f"{text!r} never appeared in #{element_id}",
    )


def test_ops_page_previews_saves_refuses_and_shows_a_timeline(
    site: tuple[str, Path], browser: WebDriver
) -> None:
    base, templates = site
    browser.get(f"{base}/ops?token={TOKEN}")
    assert "order_shipped" in browser.find_element(By.ID, "templates").text
    link = '#templates a[href="/ops/templates/es/order_shipped/sms.txt"]'
    browser.find_element(By.CSS_SELECTOR, link).click()
    wait_for_text(browser, "preview", "MX-5001")
    assert "segment" in browser.find_element(By.ID, "segments").text
    event = json.loads(browser.find_element(By.ID, "event").get_attribute("value") or "{}")
    event["order"]["number"] = "MX-7777"
    fill(browser, browser.find_element(By.ID, "event"), json.dumps(event))
    wait_for_text(browser, "preview", "MX-7777")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))

    edited = "Pedido {{ order.number }}: va en camino. {{ shipment.tracking_url }}"
    fill(browser, browser.find_element(By.ID, "source"), edited)
    browser.find_element(By.ID, "save").click()
    wait_for_text(browser, "saved", "Saved.")
    assert (templates / "es/order_shipped/sms.txt").read_text() == edited

    fill(browser, browser.find_element(By.ID, "source"), "Pedido {{ order.nmber }}")
    browser.find_element(By.ID, "save").click()
    wait_for_text(browser, "problems", "nmber")
    assert (templates / "es/order_shipped/sms.txt").read_text() == edited

    browser.get(f"{base}/ops/orders?id=ord-5001")
    timeline = browser.find_element(By.ID, "timeline").text
    assert "delay_notice" in timeline and "canceled by evt-0006" in timeline
