"""The ops page over HTTP: token, preview, safe save with history, timeline."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

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


def test_the_ops_page_needs_the_token(ops: tuple[TestClient, Runtime, Path]) -> None:
    client, _, _ = ops
    assert client.get("/ops").status_code == 403
    assert client.get("/ops?token=wrong").status_code == 403
    page = client.get(f"/ops?token={TOKEN}")
    assert page.status_code == 200 and "order_confirmed" in page.text
    assert client.get("/ops").status_code == 200  # the cookie remembers it


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
    url = f"/ops/templates/en/order_shipped/sms.txt?token={TOKEN}"
    response = client.post(url, data={"source": "Order {{ order.number }} shipped."})
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
    url = f"/ops/templates/en/order_shipped/sms.txt?token={TOKEN}"
    response = client.post(url, data={"source": "Order {{ order.nmber }} shipped."})
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
    assert TestClient(create_app(runtime)).get("/ops?token=anything").status_code == 403


def test_build_runtime_is_untouched_by_ops(sqlite_url: str) -> None:
    assert build_runtime(settings_for(sqlite_url)).settings.ops_token is None
