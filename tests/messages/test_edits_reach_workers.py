"""An edit saved from the ops page reaches the processes that render from the same folder (the
shared templates volume of compose) without a restart, and is never seen half-written."""

from __future__ import annotations

import shutil
from pathlib import Path

from notifier.messages import edit
from notifier.messages.rendering import Renderer
from tests.conftest import TEMPLATES
from tests.messages.test_rendering import view


def test_a_saved_edit_is_what_a_running_worker_renders_next(tmp_path: Path) -> None:
    shared = tmp_path / "templates"
    shutil.copytree(TEMPLATES, shared)
    worker = Renderer(shared, "es-MX")  # already rendered once, its template cached
    before = worker.render("order_shipped", "sms", view("es-MX")).text
    assert "EDITADO" not in before

    edit.save(shared, "es", "order_shipped", "sms.txt", "EDITADO {{ order.number }}")

    after = worker.render("order_shipped", "sms", view("es-MX")).text
    assert after.startswith("EDITADO ")
    assert not list((shared / "es/order_shipped").glob(".*.saving"))  # replaced whole
