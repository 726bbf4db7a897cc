"""The ops page over HTTP: token, preview, safe save with history, timeline."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notifier.http import auth
from notifier.http.app import create_app
from notifier.messages.samples import SAMPLE_EVENT
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import TEMPLATES, journey, settings_for

TOKEN = "ops-secret-token"


@pytest.fixture
def ops(sqlite_url: str, tmp_path: Path) -> tuple[TestClient, Runtime, Path]:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    settings = settings_for(sqlite_url).model_copy(
        update={"templates_dir": templates, "ops_token": SecretStr(TOKEN)}
    )
    runtime = build_runtime(settings, console=io.StringIO())
    return TestClient(create_app(runtime)), runtime, templates


def sign_in(client: TestClient) -> str:
    """Sign in with the token in the address; the session's CSRF token."""
    page = client.get(f"/ops?token={TOKEN}")
    assert page.status_code == 200
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_the_ops_page_needs_the_token(ops: tuple[TestClient, Runtime, Path]) -> None:
    client, _, _ = ops
    assert client.get("/ops").status_code == 401
    assert client.get("/ops?token=wrong").status_code == 401
    page = client.get(f"/ops?token={TOKEN}")
    assert page.status_code == 200 and "order_confirmed" in page.text
    assert "token" not in str(page.url)  # taken out of the address at once
    assert client.get("/ops").status_code == 200  # the session remembers it


def test_the_session_cookie_is_signed_holds_no_token_and_expires(
    ops: tuple[TestClient, Runtime, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, _ = ops
    sign_in(client)
    cookie = client.cookies[auth.SESSION_COOKIE]
    assert TOKEN not in cookie
    client.cookies.clear()
    client.cookies.set(auth.SESSION_COOKIE, cookie[:-2] + "xx")
    assert client.get("/ops").status_code == 401  # tampered
    client.cookies.clear()
    client.cookies.set(auth.SESSION_COOKIE, cookie)
    assert client.get("/ops").status_code == 200
    monkeypatch.setattr(auth, "SESSION_SECONDS", -1)
    assert client.get("/ops").status_code == 401  # expired


def test_signing_in_with_the_form_sets_the_session(ops: tuple[TestClient, Runtime, Path]) -> None:
    client, _, _ = ops
    refused = client.post("/ops/login", data={"token": "wrong", "next": "/ops/handoffs"})
    assert refused.status_code == 401 and auth.SESSION_COOKIE not in client.cookies
    answer = client.post("/ops/login", data={"token": TOKEN, "next": "/ops/handoffs"},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/ops/handoffs"
    assert client.get("/ops/handoffs").status_code == 200
    elsewhere = client.post("/ops/login", data={"token": TOKEN, "next": "https://evil.example"},
                            follow_redirects=False)  # fmt: skip
    assert elsewhere.headers["location"] == "/ops"


@pytest.mark.parametrize("given", ["%C3%B1and%C3%BA", "%E2%82%AC", "%00", "%FF"])
def test_an_odd_token_is_refused_not_a_server_error(
    ops: tuple[TestClient, Runtime, Path], given: str
) -> None:
    client, _, _ = ops
    assert client.get(f"/ops?token={given}").status_code == 401
    assert client.post("/ops/login", data={"token": "ñandú€"}).status_code == 401
    headers = {b"Authorization": "Bearer ñandú".encode()}
    assert client.get("/handoffs", headers=headers).status_code == 401


def test_a_change_without_the_csrf_token_is_refused(
    ops: tuple[TestClient, Runtime, Path],
) -> None:
    client, _, templates = ops
    csrf = sign_in(client)
    path = templates / "en/order_shipped/sms.txt"
    before = path.read_text()
    url = "/ops/templates/en/order_shipped/sms.txt"
    forged = client.post(url, data={"source": "Order {{ order.number }} shipped."})
    assert forged.status_code == 403 and path.read_text() == before
    wrong = client.post(url, data={"source": "x {{ order.number }}", "csrf": csrf + "x"})
    assert wrong.status_code == 403 and path.read_text() == before
    preview = {"locale": "en", "kind": "order_shipped", "filename": "sms.txt",
               "source": before, "event": json.dumps(SAMPLE_EVENT)}  # fmt: skip
    assert client.post("/ops/preview", json=preview).status_code == 403
    shown = client.post("/ops/preview", json=preview, headers={"X-CSRF-Token": csrf})
    assert shown.status_code == 200 and shown.json()["ok"]


def test_preview_renders_the_edited_sample_event_with_sms_segments(
    ops: tuple[TestClient, Runtime, Path],
) -> None:
    client, _, templates = ops
    source = (templates / "es/order_shipped/sms.txt").read_text()
    event = SAMPLE_EVENT | {"order": {**SAMPLE_EVENT["order"], "number": "MX-7777"}}
    shown = client.post(
        "/ops/preview",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"locale": "es", "kind": "order_shipped", "filename": "sms.txt",
              "source": source, "event": json.dumps(event)},
    ).json()  # fmt: skip
    assert shown["ok"] and "MX-7777" in shown["text"]
    assert shown["segments"] >= 1 and shown["encoding"] in ("GSM-7", "UCS-2")


def test_a_good_edit_is_saved_and_the_old_version_kept(
    ops: tuple[TestClient, Runtime, Path],
) -> None:
    client, _, templates = ops
    path = templates / "en/order_shipped/sms.txt"
    before = path.read_text()
    csrf = sign_in(client)
    url = "/ops/templates/en/order_shipped/sms.txt"
    response = client.post(url, data={"source": "Order {{ order.number }} shipped.", "csrf": csrf})
    assert response.status_code == 200 and "Saved." in response.text
    assert path.read_text() == "Order {{ order.number }} shipped."
    [kept] = (templates / "_history/en/order_shipped").iterdir()
    assert kept.read_text() == before


def test_a_broken_edit_is_refused_with_its_error_and_nothing_changes(
    ops: tuple[TestClient, Runtime, Path],
) -> None:
    client, _, templates = ops
    path = templates / "en/order_shipped/sms.txt"
    before = path.read_text()
    csrf = sign_in(client)
    url = "/ops/templates/en/order_shipped/sms.txt"
    response = client.post(url, data={"source": "Order {{ order.nmber }} shipped.", "csrf": csrf})
    assert response.status_code == 422
    assert "nmber" in response.text and "Not saved" in response.text
    assert path.read_text() == before
    assert not (templates / "_history").exists()


def test_the_timeline_shows_what_was_sent_scheduled_and_canceled(
    ops: tuple[TestClient, Runtime, Path],
) -> None:
    client, _, _ = ops
    client.post("/events", content=json.dumps(journey()).encode())
    page = client.get(f"/ops/orders?id=ord-5001&token={TOKEN}")
    assert page.status_code == 200
    for word in ("delay_notice", "status-sent", "status-canceled", "status-scheduled",
                 "canceled by evt-0006"):  # fmt: skip
        assert word in page.text


def test_unknown_templates_are_404(ops: tuple[TestClient, Runtime, Path]) -> None:
    client, _, _ = ops
    assert client.get(f"/ops/templates/es/nope/sms.txt?token={TOKEN}").status_code == 404
    assert client.get(f"/ops/templates/../order_shipped/sms.txt?token={TOKEN}").status_code == 404


def test_without_a_token_setting_the_page_is_closed(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime))
    assert client.get("/ops?token=anything").status_code == 401
    assert client.post("/ops/login", data={"token": "anything"}).status_code == 401


def test_build_runtime_is_untouched_by_ops(sqlite_url: str) -> None:
    assert build_runtime(settings_for(sqlite_url)).settings.ops_token is None
